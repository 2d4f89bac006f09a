import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { z } from "zod";
import { afterCall, beforeCall, closedBreaker } from "../../src/tools/llm/circuitBreaker.ts";
import { createLlmClient, type LlmTool } from "../../src/tools/llm/createLlmClient.ts";
import { openAiErrors, rateLimitedFor, startFakeOpenAi } from "../helpers/fakeOpenAi.ts";

let fake: Awaited<ReturnType<typeof startFakeOpenAi>>;
before(async () => {
  fake = await startFakeOpenAi();
});
after(async () => {
  await fake.close();
});

const tools: LlmTool[] = [
  {
    name: "set_slots",
    description: "Record what the customer stated",
    schema: z.object({
      monthly_bill_brl: z.number().positive().optional(),
      city: z.string().min(2).optional(),
    }),
  },
];
const messages = [
  { role: "system" as const, content: "Extraia os dados." },
  { role: "user" as const, content: "pago uns 450 reais, moro em Recife" },
];
let clock = 0;
const client = (timeoutMs = 2000) =>
  createLlmClient({
    baseUrl: fake.baseUrl,
    apiKey: "sk-test",
    model: "gpt-test",
    timeoutMs,
    breaker: { failures: 2, cooldownMs: 1000 },
    now: () => clock,
  });
/** A client on the real clock with a breaker that never opens, to watch its concurrency limit. */
const limitedClient = (limits: { maxConcurrency: number; slotWaitMs?: number }) =>
  createLlmClient({
    baseUrl: fake.baseUrl,
    apiKey: "sk-test",
    model: "gpt-test",
    timeoutMs: 2000,
    breaker: { failures: 100, cooldownMs: 1000 },
    ...limits,
  });

test("tool calls come back validated, with token usage; the request carries the tools as JSON Schema", async () => {
  fake.script({ toolCalls: [{ name: "set_slots", arguments: '{"monthly_bill_brl":450,"city":"Recife"}' }] });
  const r = await client().callWithTools({ messages, tools });
  assert.deepEqual(r, {
    ok: true,
    text: "",
    toolCalls: [{ name: "set_slots", args: { monthly_bill_brl: 450, city: "Recife" } }],
    ignoredCalls: 0,
    usage: { promptTokens: 100, completionTokens: 20 },
  });
  const sent = fake.requests.at(-1);
  assert.equal(sent?.authorization, "Bearer sk-test");
  assert.equal(sent?.body.model, "gpt-test");
  assert.ok(sent);
  const tool = (sent.body.tools as { function: { name: string; parameters: { properties: object } } }[])[0];
  assert.equal(tool?.function.name, "set_slots");
  assert.ok("monthly_bill_brl" in (tool?.function.parameters.properties ?? {}));
});

test("invalid arguments are sent back once for repair; still invalid after that, they are ignored", async () => {
  fake.script(
    { toolCalls: [{ name: "set_slots", arguments: '{"monthly_bill_brl":"quatrocentos"}' }] },
    { toolCalls: [{ name: "set_slots", arguments: '{"monthly_bill_brl":450}' }] },
  );
  const repaired = await client().callWithTools({ messages, tools });
  assert.ok(repaired.ok);
  assert.deepEqual(repaired.toolCalls, [{ name: "set_slots", args: { monthly_bill_brl: 450 } }]);
  assert.deepEqual(repaired.usage, { promptTokens: 200, completionTokens: 40 });
  const repairRequest = fake.requests.at(-1)?.body.messages as { role: string; content: string }[];
  assert.match(repairRequest.at(-1)?.content ?? "", /Invalid arguments: monthly_bill_brl/);

  fake.script(
    { toolCalls: [{ name: "set_slots", arguments: "{not json" }] },
    { toolCalls: [{ name: "nope", arguments: "{}" }] },
  );
  const ignored = await client().callWithTools({ messages, tools });
  assert.ok(ignored.ok);
  assert.deepEqual(ignored.toolCalls, []);
  assert.equal(ignored.ignoredCalls, 1);
});

test("a hanging provider is cut at the timeout; a 500 is an error, not a throw", async () => {
  fake.script({ hangMs: 5000 });
  const started = Date.now();
  const hung = await client(300).callWithTools({ messages, tools });
  const took = Date.now() - started;
  assert.equal(hung.ok, false);
  if (!hung.ok) assert.equal(hung.reason, "timeout");
  assert.ok(took < 2000, `bounded: ${took} ms`);
  fake.script(openAiErrors.serverError);
  const failed = await client().callWithTools({ messages, tools });
  assert.equal(failed.ok, false);
  if (!failed.ok) assert.equal(failed.reason, "error");
});

test("the breaker opens after repeated failures, skips the provider, and closes after a good probe", async () => {
  const c = client();
  clock = 10_000;
  fake.script(openAiErrors.serverError, openAiErrors.rateLimited);
  assert.equal((await c.callWithTools({ messages, tools })).ok, false);
  assert.equal((await c.callWithTools({ messages, tools })).ok, false);
  assert.equal(c.breaker().status, "open");
  const before = fake.requests.length;
  const skipped = await c.callWithTools({ messages, tools });
  assert.deepEqual(skipped.ok ? "" : skipped.reason, "circuit_open");
  assert.equal(fake.requests.length, before, "no request while open");
  clock += 1000;
  fake.script({ content: "pronto" });
  const probe = await c.callWithTools({ messages, tools });
  assert.ok(probe.ok);
  assert.equal(c.breaker().status, "closed");
});

test("a 429 pauses every call until its Retry-After: calls meanwhile fail fast, without a request", async () => {
  const c = client();
  clock = 50_000;
  fake.script(rateLimitedFor(3));
  assert.equal((await c.callWithTools({ messages, tools })).ok, false);
  const before = fake.requests.length;
  clock += 2000;
  const waiting = await c.callWithTools({ messages, tools });
  assert.deepEqual(waiting.ok ? "" : waiting.detail, "LLM rate limited; backing off");
  assert.equal(fake.requests.length, before, "no request during the pause");
  clock += 1500;
  fake.script({ content: "de volta" });
  assert.ok((await c.callWithTools({ messages, tools })).ok);
});

test("no more calls in flight than maxConcurrency; the rest wait for a slot", async () => {
  const c = limitedClient({ maxConcurrency: 2 });
  fake.script(...Array.from({ length: 5 }, () => ({ hangMs: 150 })));
  const before = fake.requests.length;
  const calls = Array.from({ length: 5 }, () => c.callWithTools({ messages, tools }));
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(c.load(), { active: 2, waiting: 3 });
  assert.equal(fake.requests.length - before, 2);
  await Promise.all(calls);
  assert.equal(fake.requests.length - before, 5);
  assert.deepEqual(c.load(), { active: 0, waiting: 0 });
});

test("a call that finds no free slot in time gives up (degraded mode) and is never sent", async () => {
  const c = limitedClient({ maxConcurrency: 1, slotWaitMs: 50 });
  fake.script({ hangMs: 300 });
  const before = fake.requests.length;
  const holding = c.callWithTools({ messages, tools });
  const waiting = await c.callWithTools({ messages, tools });
  assert.deepEqual(waiting.ok ? "" : [waiting.reason, waiting.detail], [
    "timeout",
    "no free LLM slot in time",
  ]);
  await holding;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(fake.requests.length - before, 1, "the late call was skipped when the slot came");
});

test("breaker rules (pure): a failed probe re-opens; one probe at a time", () => {
  const cfg = { failures: 3, cooldownMs: 100 };
  let b = closedBreaker;
  for (let i = 0; i < 3; i++) b = afterCall(b, false, 0, cfg);
  assert.equal(b.status, "open");
  assert.equal(beforeCall(b, 50, cfg).allow, false);
  const probe = beforeCall(b, 100, cfg);
  assert.deepEqual([probe.allow, probe.breaker.status], [true, "half_open"]);
  assert.equal(beforeCall(probe.breaker, 101, cfg).allow, false, "second call waits for the probe");
  const reopened = afterCall(probe.breaker, false, 120, cfg);
  assert.deepEqual([reopened.status, reopened.openedAt], ["open", 120]);
  assert.equal(afterCall(reopened, true, 300, cfg).status, "closed");
});
