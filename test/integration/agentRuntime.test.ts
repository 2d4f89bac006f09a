import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type FakeGraphApi, startFakeGraphApi } from "../helpers/fakeGraphApi.ts";
import {
  startTestService,
  TEST_ACCESS_TOKEN,
  type TestService,
  waitFor,
} from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// The runtime end to end, in degraded mode (no LLM): signed webhooks in, a state machine agent from
// agents/ and prompts/ (here the demo content under test/fixtures/content), replies out.
let graph: FakeGraphApi;
let svc: TestService;
before(async () => {
  graph = await startFakeGraphApi({ accessToken: TEST_ACCESS_TOKEN });
  svc = await startTestService(
    {
      WHATSAPP_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
      WHATSAPP_GRAPH_BASE_URL: graph.baseUrl,
      // Wide enough that a burst posted together is one turn on a busy CI machine.
      TURN_DEBOUNCE_MS: "400",
    },
    { contentDir: fileURLToPath(new URL("../stories/demo", import.meta.url)) },
  );
});
after(async () => {
  await svc.stop();
  await graph.close();
});

const repliesTo = (customer: string) =>
  graph.sent
    .filter((s) => s.body.to === `+${customer}`)
    .map(
      (s) =>
        (s.body.text as { body: string } | undefined)?.body ??
        (s.body.interactive as { body: { text: string } } | undefined)?.body.text ??
        "",
    );

async function say(customer: string, text: string, expectedReplies: number): Promise<string[]> {
  await svc.post(textWebhook({ from: customer, text }));
  return waitFor(`${expectedReplies} replies to ${customer}`, async () => {
    const r = repliesTo(customer);
    return r.length >= expectedReplies ? r : undefined;
  });
}

async function stateOf(customer: string) {
  const { rows } = await svc.db.query<{ state: { state: string; slots: Record<string, unknown> } }>(
    "select state from conversations where customer_wa_id = $1",
    [customer],
  );
  return rows[0]?.state;
}

test("a cooperative customer is qualified: questions in order, slots stored, final message rendered", async () => {
  const c = "5581999990001";
  assert.deepEqual(await say(c, "Oi, vi o anúncio", 1), [
    "Olá! Sou a assistente da Aurora Energia. Para começar, qual é o seu nome?",
  ]);
  assert.equal((await say(c, "Maria Souza", 2))[1], "Prazer, Maria Souza! Em qual cidade você mora?");
  assert.equal((await say(c, "moro em recife", 3))[2], "Quanto vem, em média, a sua conta de luz por mês?");
  assert.equal(
    (await say(c, "uns 450 reais", 4))[3],
    "E o imóvel onde a conta chega é casa, apartamento ou comércio?",
  );
  assert.equal(
    (await say(c, "Casa", 5))[4],
    "Ótimo, Maria Souza! Com uma conta de R$ 450 você pode economizar com a assinatura.",
  );
  const state = await stateOf(c);
  assert.equal(state?.state, "qualified");
  const slots = { name: "Maria Souza", city: "Recife", monthly_bill_brl: 450, property_type: "casa" };
  assert.deepEqual(state?.slots, slots);
  const question = graph.sent.filter((s) => s.body.to === `+${c}`)[3]?.body;
  assert.equal(question?.type, "interactive", "a choice is asked with reply buttons");
  const lead = await svc.db.query(
    "select l.outcome, l.slots, l.customer_wa_id from leads l join conversations c on c.id = l.conversation_id where c.customer_wa_id = $1",
    [c],
  );
  assert.deepEqual(
    lead.rows,
    [{ outcome: "qualified", slots, customer_wa_id: c }],
    "the lead is persisted with the turn",
  );
});

test("a burst that answers several questions gets one reply: the next open question", async () => {
  const c = "5581999990002";
  await say(c, "Oi", 1);
  const t = Math.floor(Date.now() / 1000);
  await Promise.all([
    svc.post(textWebhook({ from: c, text: "João", timestamp: t })),
    svc.post(textWebhook({ from: c, text: "BH", timestamp: t + 1 })),
  ]);
  const replies = await waitFor("one reply to the burst", async () => {
    const r = repliesTo(c);
    return r.length >= 2 ? r : undefined;
  });
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(repliesTo(c).slice(1), ["Quanto vem, em média, a sua conta de luz por mês?"]);
  assert.equal(replies.length, 2);
  assert.deepEqual((await stateOf(c))?.slots, { name: "João", city: "Belo Horizonte" });
});

test("opting out: one confirmation, recorded in the ledger; an acknowledgement gets nothing", async () => {
  const c = "5581999990003";
  await say(c, "Oi", 1);
  assert.equal((await say(c, "PARAR", 2))[1], "Tudo bem, você não vai mais receber mensagens nossas.");
  assert.equal((await stateOf(c))?.state, "opted_out");
  const consent = await svc.db.query(
    `select e.opted_out, e.source, e.detail, c.opted_out_at is not null as flagged
       from consent_events e join conversations c on c.id = e.conversation_id where c.customer_wa_id = $1`,
    [c],
  );
  assert.deepEqual(consent.rows, [{ opted_out: true, source: "keyword", detail: "PARAR", flagged: true }]);
  await svc.post(textWebhook({ from: c, text: "obrigado" }));
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(repliesTo(c).length, 2, "no reply to a thank-you after the opt-out");
});
