import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TURN_LOCK_NAMESPACE } from "../../src/conversation/lockConversation.ts";
import { startServiceWithGraph, type TestService, waitFor } from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// A follow-up is decided on the conversation as it is once the conversation's lock is held: what a
// turn or an opt-out committed while the poller waited for the lock counts.
let svc: TestService;
let stop: () => Promise<void>;
before(async () => {
  ({ svc, stop } = await startServiceWithGraph({
    TURN_DEBOUNCE_MS: "50",
    DEFAULT_AGENT: "lead_qualification",
    // The poller is driven by the test.
    FOLLOW_UP_POLL_MS: "3600000",
  }));
});
after(async () => {
  await stop();
});

/** A conversation with its reminder armed, made due now. */
async function dueReminder(customer: string): Promise<number> {
  await svc.post(textWebhook({ from: customer, text: "Oi" }));
  const id = await waitFor("the reminder armed", async () => {
    const { rows } = await svc.db.query<{ conversation_id: number }>(
      `select f.conversation_id from follow_ups f join conversations c on c.id = f.conversation_id
        where c.customer_wa_id = $1 and f.status = 'scheduled'`,
      [customer],
    );
    return rows[0]?.conversation_id;
  });
  await svc.db.query(
    "update follow_ups set due_at = now() - interval '1 minute' where conversation_id = $1",
    [id],
  );
  return id;
}

/** Fires the due follow-ups while the test holds the conversation's lock, changing it meanwhile. */
async function fireWhileLocked(conversationId: number, change: string): Promise<number> {
  const blocker = await svc.db.connect();
  try {
    await blocker.query("begin");
    await blocker.query("select pg_advisory_xact_lock($1, $2)", [TURN_LOCK_NAMESPACE, conversationId]);
    const firing = svc.service.fireFollowUps();
    await new Promise((r) => setTimeout(r, 200));
    await blocker.query(change, [conversationId]);
    await blocker.query("commit");
    return await firing;
  } finally {
    blocker.release();
  }
}

const reminders = async (id: number) =>
  (await svc.db.query("select 1 from outbox where conversation_id = $1 and author = 'follow_up'", [id]))
    .rowCount;

test("an opt-out committed while the poller waited for the lock: no reminder", async () => {
  const id = await dueReminder("5531955550001");
  const sent = await fireWhileLocked(id, "update conversations set opted_out_at = now() where id = $1");
  assert.equal(sent, 0);
  assert.equal(await reminders(id), 0);
});

test("a turn that moved the reminder later while the poller waited: not sent now", async () => {
  const id = await dueReminder("5531955550002");
  const sent = await fireWhileLocked(
    id,
    "update follow_ups set due_at = now() + interval '1 day' where conversation_id = $1",
  );
  assert.equal(sent, 0);
  assert.equal(await reminders(id), 0);
  const { rows } = await svc.db.query<{ status: string }>(
    "select status from follow_ups where conversation_id = $1",
    [id],
  );
  assert.equal(rows[0]?.status, "scheduled", "still armed for its new time");
});
