import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { takeOver } from "../../src/handoff/takeOver.ts";
import type { FakeGraphApi } from "../helpers/fakeGraphApi.ts";
import { startFakeOpenAi } from "../helpers/fakeOpenAi.ts";
import { startServiceWithGraph, type TestService, waitFor } from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// A turn thinks (a slow LLM) without holding the database: other conversations, operators and
// new messages go on meanwhile, and the per-conversation lease keeps the turns of one
// conversation one at a time and in order.
const SLOW_MS = 1500;
let graph: FakeGraphApi;
let llm: Awaited<ReturnType<typeof startFakeOpenAi>>;
let svc: TestService;
let stop: () => Promise<void>;
before(async () => {
  llm = await startFakeOpenAi();
  ({ svc, graph, stop } = await startServiceWithGraph(
    {
      TURN_DEBOUNCE_MS: "100",
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: "sk-test",
      LLM_TIMEOUT_MS: String(SLOW_MS * 4),
      LLM_BREAKER_FAILURES: "100",
      LLM_DAILY_COST_CAP_USD: "0",
    },
    { contentDir: fileURLToPath(new URL("../stories/demo", import.meta.url)) },
  ));
});
after(async () => {
  await stop();
  await llm.close();
});

const sentTo = (customer: string) => graph.sent.filter((s) => s.body.to === `+${customer}`);
const conversationOf = async (customer: string) =>
  (await svc.db.query<{ id: number }>("select id from conversations where customer_wa_id = $1", [customer]))
    .rows[0]?.id ?? 0;
/** Waits until the LLM has received `n` requests in all: a turn is now thinking. */
const llmCalled = (n: number) =>
  waitFor(`LLM request ${n}`, async () => (llm.requests.length >= n ? true : undefined));

test("while the LLM thinks, no transaction or lock is held; a burst of 50 messages is one turn after it, in order, nothing answered twice", async () => {
  const c = "5581977770001";
  const calls = llm.requests.length;
  // The model answers slowly (an empty body after SLOW_MS: the turn then answers in degraded mode).
  llm.script({ hangMs: SLOW_MS }, { hangMs: SLOW_MS });
  await svc.post(textWebhook({ from: c, text: "Oi" }));
  await llmCalled(calls + 1);
  const busy = await svc.db.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%'`,
  );
  assert.equal(busy.rows[0]?.n, 0, "no transaction open while the turn waits for the LLM");
  const locks = await svc.db.query<{ n: number }>(
    `select count(*)::int as n from pg_locks
      where locktype = 'advisory' and classid = 7312001 and objid = $1 and granted
        and database = (select oid from pg_database where datname = current_database())`,
    [await conversationOf(c)],
  );
  assert.equal(locks.rows[0]?.n, 0, "no conversation lock held while the turn waits for the LLM");
  const t0 = Math.floor(Date.now() / 1000);
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      svc.post(textWebhook({ from: c, text: `mensagem ${i + 1}`, timestamp: t0 + i })),
    ),
  );
  const id = await conversationOf(c);
  const turns = await waitFor(
    "both turns",
    async () => {
      const { rows } = await svc.db.query<{ inbound_ids: number[] }>(
        "select inbound_ids from turns where conversation_id = $1 order by id",
        [id],
      );
      const pending = await svc.db.query(
        "select 1 from inbound_messages where conversation_id = $1 and processed_at is null",
        [id],
      );
      return rows.length >= 2 && pending.rowCount === 0 ? rows : undefined;
    },
    20_000,
  );
  assert.deepEqual(
    turns.map((t) => t.inbound_ids.length),
    [1, 50],
    "the first message alone, then the burst as one turn",
  );
  assert.equal(
    llm.requests.length - calls,
    2,
    "one LLM call per turn: the burst did not start a turn of its own meanwhile",
  );
  const last = llm.requests.at(-1)?.body as { messages: { content: string }[] } | undefined;
  const texts = JSON.parse(last?.messages[1]?.content ?? "{}");
  assert.deepEqual(
    texts.mensagens_do_cliente,
    Array.from({ length: 50 }, (_, i) => `mensagem ${i + 1}`),
    "in Meta's order",
  );
  const ids = sentTo(c).map((s) => s.body.biz_opaque_callback_data);
  assert.equal(new Set(ids).size, ids.length, "no reply sent twice");
});

test("an operator who takes the conversation over while the LLM thinks: the turn's decision is dropped and the bot says nothing", async () => {
  const c = "5581977770002";
  await svc.post(textWebhook({ from: c, text: "Oi" }));
  await waitFor("first reply", async () => (sentTo(c).length >= 1 ? true : undefined));
  const before = sentTo(c).length;
  const calls = llm.requests.length;
  llm.script({ hangMs: SLOW_MS });
  await svc.post(textWebhook({ from: c, text: "Me chamo Joana" }));
  await llmCalled(calls + 1);
  const id = await conversationOf(c);
  // Taken over at once: the thinking turn holds no lock to wait for.
  const started = Date.now();
  assert.equal((await takeOver(svc.db, id, "ana")).kind, "taken");
  assert.ok(Date.now() - started < SLOW_MS, "the takeover did not wait for the turn");
  await waitFor(
    "the message read in a silenced turn",
    async () => {
      const { rows } = await svc.db.query(
        "select 1 from inbound_messages where conversation_id = $1 and processed_at is null",
        [id],
      );
      return rows.length === 0 ? true : undefined;
    },
    10_000,
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sentTo(c).length, before, "no reply after the takeover");
});
