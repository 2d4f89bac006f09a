import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { signBody } from "../../src/webhook/verifySignature.ts";
import { type FakeGraphApi, startFakeGraphApi } from "../helpers/fakeGraphApi.ts";
import { freePort, spawnService, waitForReady } from "../helpers/spawnService.ts";
import { waitFor } from "../helpers/startTestService.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/testDatabase.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

const SECRET = "process-test-secret-0123456789";
const TOKEN = "EAAprocesstesttoken0123456789";
let database: TestDatabase;
let graph: FakeGraphApi;
let db: pg.Pool;

before(async () => {
  database = await createTestDatabase();
  graph = await startFakeGraphApi({ accessToken: TOKEN });
  db = new pg.Pool({ connectionString: database.url, max: 2 });
});
after(async () => {
  await db.end();
  await graph.close();
  await database.drop();
});

const baseEnv = () => ({
  DATABASE_URL: database.url,
  WHATSAPP_APP_SECRET: SECRET,
  WHATSAPP_VERIFY_TOKEN: "verify-token-0123456789",
  ADMIN_TOKEN: "admin-token-0123456789abcdef",
  WHATSAPP_ACCESS_TOKEN: TOKEN,
  WHATSAPP_GRAPH_BASE_URL: graph.baseUrl,
  TURN_DEBOUNCE_MS: "100",
  DEFAULT_AGENT: "echo",
  WORKER_POLL_INTERVAL_MS: "200",
  LOG_LEVEL: "info",
  HOST: "127.0.0.1",
  NODE_ENV: "test",
});

test("web and worker run as separate processes against one database, and stop on SIGTERM within 10 s", async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const web = spawnService({ ...baseEnv(), ROLE: "web", PORT: String(port) });
  const workerPort = await freePort();
  const worker = spawnService({ ...baseEnv(), ROLE: "worker", PORT: String(workerPort) });
  try {
    await waitForReady(url);
    // The image's HEALTHCHECK asks every container /readyz: a worker answers it (and nothing else).
    const workerUrl = `http://127.0.0.1:${workerPort}`;
    await waitForReady(workerUrl);
    const workerReady = (await (await fetch(`${workerUrl}/readyz`)).json()) as {
      checks: { worker: unknown };
    };
    assert.equal(workerReady.checks.worker, true);
    assert.equal((await fetch(`${workerUrl}/webhook`, { method: "POST" })).status, 404);
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { checks: { worker: unknown } };
    assert.equal(ready.checks.worker, "not in this role");
    const customer = "5511977770001";
    const body = JSON.stringify(textWebhook({ from: customer, text: "Oi de outro processo" }));
    const res = await fetch(`${url}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": signBody(body, SECRET) },
      body,
    });
    assert.equal(res.status, 200);
    const sent = await waitFor("reply sent by the worker process", async () =>
      graph.sent.find((s) => s.body.to === `+${customer}`),
    );
    assert.deepEqual(sent.body.text, {
      body: "Recebi sua mensagem: Oi de outro processo",
      preview_url: false,
    });
    // Every log line of a turn carries its conversation id; phone numbers never appear.
    await waitFor("turn logged", async () =>
      worker.output().includes('"msg":"turn done"') ? true : undefined,
    );
    for (const line of worker
      .output()
      .split("\n")
      .filter((l) => l.includes('"msg":"turn done"'))) {
      assert.match(line, /"conversationId":\d+/);
    }
    assert.ok(!worker.output().includes(customer), "customer phone number redacted from logs");
    assert.ok(!web.output().includes(customer), "customer phone number redacted from logs");
  } finally {
    const [w, k] = await Promise.all([web.stop("SIGTERM"), worker.stop("SIGTERM")]);
    assert.equal(w.code, 0, web.output().slice(-2000));
    assert.equal(k.code, 0, worker.output().slice(-2000));
    assert.ok(w.ms < 10_000 && k.ms < 10_000, `shutdown took ${w.ms} / ${k.ms} ms`);
  }
  const { rows } = await db.query<{ n: number }>("select count(*)::int as n from worker_heartbeats");
  assert.equal(rows[0]?.n, 0, "a clean stop deregisters its workers");
});

test("jobs held by a killed worker are released and run by another", async () => {
  const port = await freePort();
  const all = spawnService({ ...baseEnv(), ROLE: "all", PORT: String(port), WORKER_STALE_AFTER_MS: "1500" });
  try {
    await waitForReady(`http://127.0.0.1:${port}`);
    // A job locked by a worker that died without a trace (as after kill -9 of its process).
    await db.query(
      // last_inbound_at as the inbox would set it (the reply must be inside the 24-hour window).
      `insert into conversations (phone_number_id, customer_key, customer_wa_id, agent_id, last_inbound_at)
       values ('106540352242922', '5511977770002', '5511977770002', 'echo', now())`,
    );
    await db.query(
      `with e as (insert into webhook_events (raw_body, recognised) values ('\\x7b7d', true) returning id)
       insert into inbound_messages (wa_message_id, conversation_id, webhook_event_id, type, text, sent_at, body)
       select 'wamid.orphan', c.id, e.id, 'text', 'órfã', now(), '{}' from conversations c, e
        where c.customer_key = '5511977770002'`,
    );
    // Added and locked in one transaction, so the live worker never sees it unlocked.
    const client = await db.connect();
    try {
      await client.query("begin");
      await client.query(
        `select graphile_worker.add_job('conversation_turn', json_build_object('conversationId', id), job_key := 'turn:' || id)
           from conversations where customer_key = '5511977770002'`,
      );
      await client.query(
        `update graphile_worker._private_jobs set locked_by = 'worker-killed-9', locked_at = now()
          where key like 'turn:%' and locked_at is null`,
      );
      await client.query("commit");
    } finally {
      client.release();
    }
    const sent = await waitFor(
      "orphaned turn completed",
      async () => graph.sent.find((s) => s.body.to === "+5511977770002"),
      20_000,
    );
    assert.deepEqual(sent.body.text, { body: "Recebi sua mensagem: órfã", preview_url: false });
    assert.match(all.output(), /released jobs of workers presumed dead/);
  } finally {
    await all.stop("SIGTERM");
  }
});
