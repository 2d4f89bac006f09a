import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type FakeGraphApi, metaErrors, startFakeGraphApi } from "../helpers/fakeGraphApi.ts";
import {
  startTestService,
  TEST_ACCESS_TOKEN,
  TEST_ADMIN_TOKEN,
  type TestService,
  waitFor,
} from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// The WhatsApp policy against the fake Graph API (validated against Meta's OpenAPI spec), with the
// shipped lead-qualification agent: template approval synced and applied, the 24-hour window, 131047.
const WABA = "102290129340398";
let graph: FakeGraphApi;
let svc: TestService;
before(async () => {
  graph = await startFakeGraphApi({ accessToken: TEST_ACCESS_TOKEN });
  graph.templates.push(
    ...Array.from({ length: 120 }, (_, i) => ({
      id: String(9000 + i),
      name: `outro_template_${i}`,
      language: "pt_BR",
      status: i % 7 === 0 ? "REJECTED" : "APPROVED",
      category: "MARKETING",
    })),
    {
      id: "1",
      name: "prosseguir_com_solicitacao",
      language: "pt_BR",
      status: "APPROVED",
      category: "UTILITY",
      quality_score: { score: "GREEN" },
    },
    { id: "2", name: "lembrete_conta_de_luz", language: "pt_BR", status: "APPROVED", category: "UTILITY" },
  );
  svc = await startTestService({
    WHATSAPP_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
    WHATSAPP_GRAPH_BASE_URL: graph.baseUrl,
    WHATSAPP_WABA_ID: WABA,
    DEFAULT_AGENT: "lead_qualification",
    TURN_DEBOUNCE_MS: "50",
  });
});
after(async () => {
  await svc.stop();
  await graph.close();
});

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const sentTo = (c: string) => graph.sent.filter((s) => s.body.to === `+${c}`).map((s) => s.body);

async function say(customer: string, text: string, timestamp?: number) {
  const before = sentTo(customer).length;
  await svc.post(textWebhook({ from: customer, text, ...(timestamp ? { timestamp } : {}) }));
  await waitFor(`an answer to "${text}"`, async () => {
    const { rows } = await svc.db.query<{ n: number }>(
      `select count(*)::int as n from inbound_messages m join conversations c on c.id = m.conversation_id
        where c.customer_wa_id = $1 and m.processed_at is null`,
      [customer],
    );
    const busy = await svc.db.query<{ n: number }>(
      `select count(*)::int as n from outbox o join conversations c on c.id = o.conversation_id
        where c.customer_wa_id = $1 and o.status in ('pending', 'sending')`,
      [customer],
    );
    return rows[0]?.n === 0 && busy.rows[0]?.n === 0 ? true : undefined;
  });
  return sentTo(customer).slice(before);
}

function templateWebhook(name: string, event: string) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: WABA,
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field: "message_template_status_update",
            value: {
              event,
              message_template_id: 1,
              message_template_name: name,
              message_template_language: "pt_BR",
              reason: event === "REJECTED" ? "INVALID_FORMAT" : "NONE",
              message_template_category: "UTILITY",
            },
          },
        ],
      },
    ],
  };
}

test("template approval is synced from every page of the Graph API", async () => {
  // The worker syncs once at start-up; then the admin endpoint syncs again on demand.
  await waitFor("the start-up sync", async () => {
    const { rows } = await svc.db.query<{ n: number }>("select count(*)::int as n from template_status");
    return rows[0]?.n === 122 ? true : undefined;
  });
  await new Promise((r) => setTimeout(r, 100));
  const getsBefore = graph.requests.filter((r) => r.method === "GET").length;
  const res = await fetch(`${svc.url}/admin/templates/sync`, { method: "POST", headers: admin });
  assert.deepEqual(await res.json(), { synced: 122 });
  const listed = (await (await fetch(`${svc.url}/admin/templates`, { headers: admin })).json()) as {
    templates: { name: string; status: string; quality: string | null }[];
  };
  const ours = listed.templates.find((t) => t.name === "prosseguir_com_solicitacao");
  assert.equal(ours?.status, "APPROVED");
  assert.equal(ours?.quality, "GREEN");
  const gets = graph.requests.filter((r) => r.method === "GET" && r.path.endsWith("/message_templates"));
  assert.equal(gets.length - getsBefore, 2, "two pages of 100");
  assert.deepEqual(graph.invalid(), []);
});

test("a template Meta rejected is not sent (clear error, no call); approved again, it goes out", async () => {
  assert.equal((await svc.post(templateWebhook("prosseguir_com_solicitacao", "REJECTED"))).status, 200);
  const c = "5581966660001";
  for (const text of ["Oi", "Maria Souza", "Recife", "uns 450 reais"]) await say(c, text);
  const qualified = await say(c, "casa");
  assert.equal(
    qualified.some((b) => b.type === "template"),
    false,
    "the rejected template never reached Meta",
  );
  assert.ok(
    qualified.some((b) => JSON.stringify(b).includes("15% de desconto")),
    "the quote still goes out",
  );
  const failed = await svc.db.query<{ error_title: string }>(
    `select o.error_title from outbox o join conversations c on c.id = o.conversation_id
      where c.customer_wa_id = $1 and o.status = 'failed'`,
    [c],
  );
  assert.deepEqual(failed.rows, [
    { error_title: "template prosseguir_com_solicitacao (pt_BR) is not approved by Meta: REJECTED" },
  ]);

  assert.equal((await svc.post(templateWebhook("prosseguir_com_solicitacao", "APPROVED"))).status, 200);
  const d = "5581966660002";
  for (const text of ["Oi", "João Pedro", "Recife", "uns 450 reais"]) await say(d, text);
  const ok = await say(d, "casa");
  const template = ok.find((b) => b.type === "template")?.template as { name: string } | undefined;
  assert.equal(template?.name, "prosseguir_com_solicitacao");
  assert.deepEqual(graph.invalid(), []);
});

test("outside the 24-hour window a reply is dropped with its reason; Meta's 131047 turns a reply into the fallback template", async () => {
  // A message Meta delivers 25 h late (after an outage): the window has closed, and with no name
  // yet there is no complete template to send.
  const late = "5581966660003";
  const replies = await say(late, "Oi", Math.floor(Date.now() / 1000) - 25 * 3600);
  assert.deepEqual(replies, [], "nothing sent outside the window");
  const dropped = await svc.db.query<{ dropped_reason: string }>(
    `select o.dropped_reason from outbox o join conversations c on c.id = o.conversation_id where c.customer_wa_id = $1`,
    [late],
  );
  assert.deepEqual(dropped.rows, [
    { dropped_reason: "outside the 24-hour window and no template for this message" },
  ]);

  const c = "5581966660004";
  await say(c, "Oi");
  await say(c, "Carla Dias");
  graph.enqueue(metaErrors.reEngagement());
  const after131047 = await say(c, "Recife");
  const template = after131047.find((b) => b.type === "template")?.template as
    | { name: string; components: { parameters: { text: string }[] }[] }
    | undefined;
  assert.equal(template?.name, "lembrete_conta_de_luz");
  assert.equal(template?.components[0]?.parameters[0]?.text, "Carla");
  assert.deepEqual(graph.invalid(), []);
});
