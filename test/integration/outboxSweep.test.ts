import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sweepStuckOutbox } from "../../src/outbound/sweepStuckOutbox.ts";
import type { FakeGraphApi } from "../helpers/fakeGraphApi.ts";
import {
  startServiceWithGraph,
  type TestService,
  textsSentTo,
  waitFor,
} from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// The sweeper is the safety net under once-in-order sending: a reply whose wake-up was lost (its
// send job never queued) is found and sent; rows behind an unsent one, and rows with a job, are
// left alone.
let graph: FakeGraphApi;
let svc: TestService;
let stop: () => Promise<void>;
before(async () => {
  ({ svc, graph, stop } = await startServiceWithGraph({
    TURN_DEBOUNCE_MS: "50",
    DEFAULT_AGENT: "echo",
  }));
});
after(async () => {
  await stop();
});

const texts = (customer: string) => textsSentTo(graph, customer);

/** A reply written the way a turn writes it, but with no send job: a lost wake-up. */
async function strandReply(conversationId: number, text: string): Promise<number> {
  const { rows } = await svc.db.query<{ id: number }>(
    `insert into outbox (conversation_id, seq, phone_number_id, recipient, kind, payload)
     select c.id, coalesce((select max(seq) from outbox where conversation_id = c.id), 0) + 1, c.phone_number_id,
            c.customer_wa_id, 'text', json_build_object('type', 'text', 'text', $2::text)
       from conversations c where c.id = $1 returning id`,
    [conversationId, text],
  );
  return rows[0]?.id ?? 0;
}

test("a reply left without a send job is queued by the sweeper and sent once, in order", async () => {
  const c = "5561966660001";
  await svc.post(textWebhook({ from: c, text: "oi" }));
  await waitFor("the echo", async () => (texts(c).length === 1 ? true : undefined));
  const id =
    (await svc.db.query<{ id: number }>("select id from conversations where customer_wa_id = $1", [c]))
      .rows[0]?.id ?? 0;
  await strandReply(id, "primeira perdida");
  await strandReply(id, "segunda perdida");
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(texts(c).slice(1), [], "stuck: nothing wakes the rows up");
  // Only the conversation's first unsent row is queued: the second waits behind it.
  assert.equal(await sweepStuckOutbox(svc.db), 1);
  await waitFor("both sent", async () => (texts(c).length === 3 ? true : undefined));
  assert.deepEqual(texts(c).slice(1), ["primeira perdida", "segunda perdida"]);
  assert.equal(await sweepStuckOutbox(svc.db), 0, "nothing left to rescue");
});
