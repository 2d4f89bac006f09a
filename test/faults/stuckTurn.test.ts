import assert from "node:assert/strict";
import { test } from "node:test";
import { TURN_LOCK_NAMESPACE } from "../../src/conversation/lockConversation.ts";
import { waitFor } from "../helpers/startTestService.ts";
import { lostAndDoubled, startCluster, textWebhook } from "./harness.ts";

// Until the agent runtime (LLM calls, degraded mode) exists, a stuck turn is simulated by holding the
// conversation's turn lock; the turn runner's timeout must bound each attempt and the retry must finish.
test("a turn stuck longer than TURN_TIMEOUT_MS fails within the bound, is retried, and completes once", async () => {
  const cluster = await startCluster({ TURN_TIMEOUT_MS: "1000" });
  try {
    const customer = "5511955550001";
    await cluster.deliver(textWebhook({ from: customer, text: "primeira" }));
    await waitFor("first reply", async () =>
      lostAndDoubled(["primeira"], cluster.graph).lost.length === 0 ? true : undefined,
    );
    const { rows } = await cluster.db.query<{ id: number }>(
      "select id from conversations where customer_wa_id = $1",
      [customer],
    );
    const conversationId = rows[0]?.id;
    const blocker = await cluster.db.connect();
    await blocker.query("begin");
    await blocker.query("select pg_advisory_xact_lock($1, $2)", [TURN_LOCK_NAMESPACE, conversationId]);
    const heldAt = Date.now();
    try {
      await cluster.deliver(textWebhook({ from: customer, text: "segunda" }));
      const failed = await waitFor("the stuck attempt to fail", async () => {
        const r = await cluster.db.query<{ last_error: string | null; attempts: number }>(
          "select last_error, attempts from graphile_worker.jobs where task_identifier = 'conversation_turn' and last_error is not null",
        );
        return r.rows[0];
      });
      const boundedAfter = Date.now() - heldAt;
      console.log(`stuck attempt failed after ${boundedAfter} ms: ${failed.last_error?.split("\n")[0]}`);
      assert.match(failed.last_error ?? "", /lock timeout|statement timeout/);
      assert.ok(boundedAfter < 5000, `attempt bounded (${boundedAfter} ms)`);
    } finally {
      await blocker.query("commit");
      blocker.release();
    }
    await waitFor(
      "the retry answered",
      async () => (lostAndDoubled(["segunda"], cluster.graph).lost.length === 0 ? true : undefined),
      30_000,
    );
    assert.deepEqual(lostAndDoubled(["primeira", "segunda"], cluster.graph), { lost: [], doubled: [] });
  } finally {
    await cluster.stop();
  }
});
