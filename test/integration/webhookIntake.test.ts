import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  startTestService,
  TEST_VERIFY_TOKEN,
  type TestService,
  waitFor,
} from "../helpers/startTestService.ts";
import { textWebhook, uniqueWamid } from "../helpers/webhookPayloads.ts";

const FIXTURES = new URL("../../../shared/fixtures/meta-webhooks/", import.meta.url);

/** What each non-`messages` field is stored as; written out here as the spec, not derived from the code. */
const KIND_OF_FIELD: Record<string, string> = {
  account_update: "account",
  calls: "call",
  message_template_status_update: "template",
  message_template_quality_update: "template",
  message_template_components_update: "template",
  template_category_update: "template",
  smb_message_echoes: "echo",
  user_preferences: "user_preferences",
};

type Change = {
  field: string;
  value: Record<string, unknown> & { messages?: { id: string; type: string }[] };
};
type Body = { entry: { changes: Change[] }[] };

let svc: TestService;
before(async () => {
  svc = await startTestService({ TURN_DEBOUNCE_MS: "60000" });
});
after(async () => {
  await svc.stop();
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await svc.db.query<{ n: number }>(`select count(*)::int as n from (${sql}) q`, params);
  return rows[0]?.n ?? -1;
}

describe("every Meta fixture, posted signed", () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
  test("the fixture set is there", () =>
    assert.ok(files.length >= 19, `found ${files.length} fixture files`));
  for (const file of files) {
    const cases: Record<string, Body> = JSON.parse(readFileSync(new URL(file, FIXTURES), "utf8"));
    for (const [name, original] of Object.entries(cases)) {
      test(`${file} / ${name} → 200 and stored as what it is`, async () => {
        // Fixtures share message ids; make them unique so each case is a new message.
        const body: Body = JSON.parse(
          JSON.stringify(original).replace(
            /"(wamid\.[^"]*)"/g,
            (_m, id: string) => `"${id}.${file}.${name}"`,
          ),
        );
        const eventsBefore = await count("select 1 from webhook_events");
        const res = await svc.post(body);
        assert.equal(res.status, 200);
        assert.equal(await count("select 1 from webhook_events"), eventsBefore + 1);
        const { rows } = await svc.db.query<{ id: number; kinds: string[] }>(
          "select id, kinds from webhook_events order by id desc limit 1",
        );
        const eventId = rows[0]?.id;
        for (const entry of body.entry) {
          for (const change of entry.changes) {
            if (change.field === "messages") {
              for (const m of change.value.messages ?? []) {
                assert.equal(
                  await count(
                    "select 1 from inbound_messages where wa_message_id = $1 and type = $2 and webhook_event_id = $3",
                    [m.id, m.type, eventId],
                  ),
                  1,
                  `message ${m.id} (${m.type}) stored`,
                );
              }
              const statuses = (change.value.statuses ?? []) as { id: string; status: string }[];
              for (const s of statuses) {
                assert.equal(
                  await count("select 1 from status_events where wamid = $1 and status = $2", [
                    s.id,
                    s.status,
                  ]),
                  1,
                  `status ${s.status} of ${s.id} stored`,
                );
              }
              if (Array.isArray(change.value.errors)) {
                assert.equal(
                  await count(
                    "select 1 from webhook_changes where webhook_event_id = $1 and kind = 'error'",
                    [eventId],
                  ),
                  1,
                );
              }
            } else {
              const kind = KIND_OF_FIELD[change.field] ?? "other";
              assert.ok(
                (await count(
                  "select 1 from webhook_changes where webhook_event_id = $1 and field = $2 and kind = $3",
                  [eventId, change.field, kind],
                )) >= 1,
                `${change.field} stored as ${kind}`,
              );
            }
          }
        }
        assert.equal(
          await count("select 1 from webhook_changes where webhook_event_id = $1 and kind = 'unrecognised'", [
            eventId,
          ]),
          0,
          "nothing in a real fixture is unrecognised",
        );
      });
    }
  }
});

describe("bad input", () => {
  const body = textWebhook({ from: "5511988887777", text: "Olá, tudo bem?" });

  test("a tampered body gets 401 and nothing is stored", async () => {
    const before = await count("select 1 from webhook_events");
    const raw = JSON.stringify(body);
    const good = await svc.post(undefined, {
      raw: raw.replace("tudo bem", "tudo mal"),
      signature: undefined,
    });
    assert.equal(good.status, 200, "control: a body signed as sent is accepted");
    const signatureOfOriginal = (await import("../../src/webhook/verifySignature.ts")).signBody(
      raw,
      "test-app-secret-0123456789abcdef",
    );
    const tampered = await svc.post(undefined, {
      raw: raw.replace("tudo bem", "TUDO BEM"),
      signature: signatureOfOriginal,
    });
    assert.equal(tampered.status, 401);
    assert.equal(await tampered.text(), "Unauthorized", "nothing of the request is echoed");
    assert.equal(await count("select 1 from webhook_events"), before + 1);
  });

  test("missing, malformed or wrong-secret signatures get 401", async () => {
    const before = await count("select 1 from webhook_events");
    const raw = JSON.stringify(textWebhook({ from: "5511988887777", text: "x" }));
    const { signBody } = await import("../../src/webhook/verifySignature.ts");
    for (const signature of [
      null,
      "",
      "sha256=",
      "sha1=abc",
      `sha256=${"0".repeat(64)}`,
      signBody(raw, "other-secret"),
    ]) {
      const res = await svc.post(undefined, { raw, signature });
      assert.equal(res.status, 401, `signature ${String(signature)}`);
    }
    assert.equal(await count("select 1 from webhook_events"), before);
  });

  test("malformed JSON with a valid signature gets 400 and nothing is stored", async () => {
    const before = await count("select 1 from webhook_events");
    const res = await svc.post(undefined, { raw: '{"object":"whatsapp_business_account","entry":[' });
    assert.equal(res.status, 400);
    assert.equal(await count("select 1 from webhook_events"), before);
  });

  test("valid JSON of an unknown shape is stored raw as unrecognised, 200", async () => {
    const res = await svc.post({ hello: "world", entry: 5 });
    assert.equal(res.status, 200);
    const { rows } = await svc.db.query<{ recognised: boolean; raw_body: Buffer }>(
      "select recognised, raw_body from webhook_events order by id desc limit 1",
    );
    assert.equal(rows[0]?.recognised, false);
    assert.equal(rows[0]?.raw_body.toString("utf8"), JSON.stringify({ hello: "world", entry: 5 }));
  });

  test("an oversized body gets 413 and nothing is stored", async () => {
    const before = await count("select 1 from webhook_events");
    const huge = JSON.stringify(
      textWebhook({ from: "5511988887777", text: "a".repeat(3 * 1024 * 1024 + 10) }),
    );
    const res = await svc.post(undefined, { raw: huge });
    assert.equal(res.status, 413);
    assert.equal(await count("select 1 from webhook_events"), before);
  });

  test("a message of a type we do not handle is stored like any other", async () => {
    const res = await svc.post({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "1",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: { display_phone_number: "1", phone_number_id: "106540352242922" },
                contacts: [{ profile: { name: "A" }, wa_id: "5511900000001" }],
                messages: [
                  {
                    from: "5511900000001",
                    id: uniqueWamid(),
                    timestamp: "1767225600",
                    type: "hologram",
                    hologram: { x: 1 },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    assert.equal(res.status, 200);
    assert.equal(await count("select 1 from inbound_messages where type = 'hologram'"), 1);
  });
});

describe("GET /webhook handshake", () => {
  test("echoes the challenge for the right verify token", async () => {
    const res = await fetch(
      `${svc.url}/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${TEST_VERIFY_TOKEN}`,
    );
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "1158201444");
  });
  test("refuses a wrong token or mode", async () => {
    for (const q of [
      "hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope",
      `hub.mode=x&hub.challenge=1&hub.verify_token=${TEST_VERIFY_TOKEN}`,
    ]) {
      const res = await fetch(`${svc.url}/webhook?${q}`);
      assert.equal(res.status, 403);
    }
  });
});

describe("operations endpoints", () => {
  test("healthz, readyz and metrics answer", async () => {
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    const ready = await fetch(`${svc.url}/readyz`);
    assert.equal(ready.status, 200);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    for (const name of [
      "webhook_ack_seconds",
      "inbox_lag_seconds",
      "turn_duration_seconds",
      "outbound_results_total",
      "queue_depth",
    ]) {
      assert.match(metrics, new RegExp(`# TYPE ${name} `), name);
    }
  });
  test("admin endpoints need the admin token", async () => {
    assert.equal((await fetch(`${svc.url}/admin/jobs/dead`)).status, 401);
    assert.equal(
      (await fetch(`${svc.url}/admin/jobs/dead`, { headers: { authorization: "Bearer wrong" } })).status,
      401,
    );
    assert.equal((await svc.admin("/admin/jobs/dead")).status, 200);
    assert.equal((await fetch(`${svc.url}/sandbox/messages`)).status, 401);
  });
});

describe("sandbox transport (no access token)", () => {
  test("the reply is stored, visible, and goes sent → delivered → read through status webhooks", async () => {
    const customer = "5511966660001";
    assert.equal((await svc.post(textWebhook({ from: customer, text: "Oi sandbox" }))).status, 200);
    // This service debounces turns for 60 s (fixtures above must not trigger replies); run it now.
    await svc.db.query("update graphile_worker._private_jobs set run_at = now() where key like 'turn:%'");
    const listed = await waitFor("reply visible in the sandbox", async () => {
      const res = await svc.admin(`/sandbox/messages?recipient=${customer}`);
      const body = (await res.json()) as { messages: { wamid: string; body: { text?: { body: string } } }[] };
      return body.messages.find((m) => m.body.text);
    });
    assert.equal(listed.body.text?.body, "Recebi sua mensagem: Oi sandbox");
    assert.match(listed.wamid, /^wamid\.HBg/);
    const final = await waitFor("read status applied", async () => {
      const { rows } = await svc.db.query<{ status: string }>("select status from outbox where wamid = $1", [
        listed.wamid,
      ]);
      return rows[0]?.status === "read" ? rows[0].status : undefined;
    });
    assert.equal(final, "read");
    assert.equal(await count("select 1 from status_events where wamid = $1", [listed.wamid]), 3);
  });
});
