import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FakeGraphApi } from "../helpers/fakeGraphApi.ts";
import {
  startServiceWithGraph,
  type TestService,
  textsSentTo,
  waitFor,
} from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// A turn that fails every time (here: the database refuses its turn record, a fault injected with
// a trigger on the real PostgreSQL) is set aside after a few attempts: its messages are marked
// processed with the failure, the conversation is flagged, the customer gets one holding reply,
// and the next message is answered normally.
let graph: FakeGraphApi;
let svc: TestService;
let stop: () => Promise<void>;
before(async () => {
  ({ svc, graph, stop } = await startServiceWithGraph({
    TURN_DEBOUNCE_MS: "50",
  }));
});
after(async () => {
  await stop();
});

const texts = (customer: string) => textsSentTo(graph, customer);

test("a turn that keeps failing is set aside: flagged, one holding reply, later messages answered", async () => {
  const c = "5571933330001";
  await svc.post(textWebhook({ from: c, text: "primeira" }));
  await waitFor("the echo", async () => (texts(c).length === 1 ? true : undefined));
  const id = (
    await svc.db.query<{ id: number }>("select id from conversations where customer_wa_id = $1", [c])
  ).rows[0]?.id;
  // Every turn record of this conversation is refused (the set-aside record carries its failure).
  await svc.db.query(`
    create or replace function refuse_turn() returns trigger language plpgsql as $$
    begin
      if new.conversation_id = ${Number(id)} and new.trace is null then raise exception 'injected fault'; end if;
      return new;
    end $$;
    create trigger refuse_turn before insert on turns for each row execute function refuse_turn();`);
  try {
    await svc.post(textWebhook({ from: c, text: "segunda" }));
    const failed = await waitFor(
      "the turn set aside",
      async () => {
        const { rows } = await svc.db.query<{ trace: { failed?: string } }>(
          "select t.trace from turns t join inbound_messages m on m.turn_id = t.id where m.conversation_id = $1 and m.text = 'segunda'",
          [id],
        );
        return rows[0];
      },
      40_000,
    );
    assert.match(failed.trace.failed ?? "", /injected fault/);
    const { rows } = await svc.db.query<{ attention_reason: string }>(
      "select attention_reason from conversations where id = $1",
      [id],
    );
    assert.match(rows[0]?.attention_reason ?? "", /^turn failed/);
    await waitFor("the holding reply", async () => (texts(c).length === 2 ? true : undefined));
    assert.match(texts(c)[1] ?? "", /tive um problema/);
  } finally {
    await svc.db.query("drop trigger refuse_turn on turns; drop function refuse_turn();");
  }
  await svc.post(textWebhook({ from: c, text: "terceira" }));
  await waitFor("the next message answered", async () => (texts(c).length === 3 ? true : undefined));
  assert.match(texts(c)[2] ?? "", /terceira/);
  assert.equal(texts(c).filter((t) => /tive um problema/.test(t)).length, 1, "one holding reply");
});
