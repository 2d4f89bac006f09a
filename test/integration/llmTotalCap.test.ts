import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type FakeGraphApi, startFakeGraphApi } from "../helpers/fakeGraphApi.ts";
import { startFakeOpenAi } from "../helpers/fakeOpenAi.ts";
import {
  startTestService,
  TEST_ACCESS_TOKEN,
  type TestService,
  waitFor,
} from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// The daily cap over all conversations together: many customers, each under their own cap, still
// stop the spend once the day's total is reached; their turns run in degraded mode.
let graph: FakeGraphApi;
let llm: Awaited<ReturnType<typeof startFakeOpenAi>>;
let svc: TestService;
before(async () => {
  graph = await startFakeGraphApi({ accessToken: TEST_ACCESS_TOKEN });
  llm = await startFakeOpenAi();
  svc = await startTestService(
    {
      WHATSAPP_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
      WHATSAPP_GRAPH_BASE_URL: graph.baseUrl,
      TURN_DEBOUNCE_MS: "100",
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: "sk-test",
      // 100 + 20 tokens per call: 1.20 USD at these prices. Each conversation may spend 5 USD,
      // all of them together 2 USD: two calls in the day, whoever makes them.
      LLM_PRICE_INPUT_PER_MTOK: "10000",
      LLM_PRICE_OUTPUT_PER_MTOK: "10000",
      LLM_DAILY_COST_CAP_USD: "5",
      LLM_DAILY_TOTAL_COST_CAP_USD: "2",
    },
    { contentDir: fileURLToPath(new URL("../stories/demo", import.meta.url)) },
  );
});
after(async () => {
  await svc.stop();
  await llm.close();
  await graph.close();
});

const sent = (c: string) => graph.sent.filter((s) => s.body.to === `+${c}`).length;

test("past the total daily cap, a new conversation's turn runs without the LLM", async () => {
  for (const [i, c] of ["5581977760001", "5581977760002", "5581977760003"].entries()) {
    llm.script({ toolCalls: [{ name: "record_customer_data", arguments: '{"name":"Lia"}' }] });
    await svc.post(textWebhook({ from: c, text: "Oi, sou a Lia" }));
    await waitFor(`reply ${i}`, async () => (sent(c) > 0 ? true : undefined));
  }
  assert.equal(llm.requests.length, 2, "the third conversation's turn did not call the LLM");
});
