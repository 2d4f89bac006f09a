import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sendCustomerMessage, waitReplies } from "../helpers/customerMessages.ts";
import { type FakeGraphApi, startFakeGraphApi } from "../helpers/fakeGraphApi.ts";
import { startFakeOpenAi } from "../helpers/fakeOpenAi.ts";
import { startTestService, TEST_ACCESS_TOKEN, type TestService } from "../helpers/startTestService.ts";

// Questions with the shipped agents and knowledge base, and an LLM (a fake OpenAI-compatible
// server): the FAQ answer's tokens are recorded with the turn and count against the conversation's
// daily cost cap; once it is spent, questions are answered from the passage without the LLM.
let graph: FakeGraphApi;
let llm: Awaited<ReturnType<typeof startFakeOpenAi>>;
let svc: TestService;
before(async () => {
  graph = await startFakeGraphApi({ accessToken: TEST_ACCESS_TOKEN });
  llm = await startFakeOpenAi();
  svc = await startTestService({
    WHATSAPP_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
    WHATSAPP_GRAPH_BASE_URL: graph.baseUrl,
    DEFAULT_AGENT: "",
    TURN_DEBOUNCE_MS: "100",
    LLM_BASE_URL: llm.baseUrl,
    LLM_API_KEY: "sk-test",
    // 100 + 20 tokens a call at these prices is 1.20 USD: one call spends the 1.00 cap.
    LLM_PRICE_INPUT_PER_MTOK: "10000",
    LLM_PRICE_OUTPUT_PER_MTOK: "10000",
    LLM_DAILY_TOTAL_COST_CAP_USD: "0",
    LLM_DAILY_COST_CAP_USD: "1",
  });
});
after(async () => {
  await svc.stop();
  await llm.close();
  await graph.close();
});

const say = async (customer: string, text: string, n: number) => {
  await sendCustomerMessage(svc, customer, { type: "text", text });
  return waitReplies(graph, customer, n, 15_000);
};

test("an opening question is answered by the LLM from the passages, its tokens recorded; then the cap holds", async () => {
  const c = "5581977771234";
  llm.script({
    toolCalls: [
      {
        name: "answer_faq",
        arguments: JSON.stringify({
          found: true,
          answer: "Só o plano da Enel SP tem fidelidade, de 12 meses.",
          source_ids: ["fidelidade-e-cancelamento"],
        }),
      },
    ],
  });
  const first = await say(c, "tem fidelidade?", 2);
  assert.match(first[0] ?? "", /^Só o plano da Enel SP tem fidelidade, de 12 meses\.\n\n_Fonte: /);
  assert.match(first[1] ?? "", /nome/, "then the qualification starts");
  const request = llm.requests.at(-1)?.body;
  assert.ok(request && JSON.stringify(request).includes("pergunta_do_cliente"), "the question went as data");
  const usage = await svc.db.query(
    `select u.outcome, u.prompt_tokens, u.completion_tokens, u.cost_usd::float8 as cost from llm_usage u
       join conversations c on c.id = u.conversation_id where c.customer_wa_id = $1`,
    [c],
  );
  assert.deepEqual(usage.rows, [{ outcome: "faq", prompt_tokens: 100, completion_tokens: 20, cost: 1.2 }]);

  // The cap is spent: the next question is answered from the passage, and the LLM is not called.
  const calls = llm.requests.length;
  const next = await say(c, "e se eu mudar de casa?", 4);
  assert.equal(llm.requests.length, calls, "no LLM call after the cap");
  assert.match(next[2] ?? "", /Fonte:/);
  assert.match(next[3] ?? "", /nome/, "and the question it was on is asked again");
});
