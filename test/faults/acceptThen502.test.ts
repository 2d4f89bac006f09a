import assert from "node:assert/strict";
import { test } from "node:test";
import { metaErrors } from "../helpers/fakeGraphApi.ts";
import { lostAndDoubled, startCluster, textWebhook, waitUntilSettled } from "./harness.ts";

const LATE_MS = Number(process.env.FAULT_STATUS_DELAY_MS ?? 30_000);
const CUSTOMERS = 30;

// A bad day at Meta: 30% of sends are taken and then answered with a proxy's 502 page, and every
// status webhook comes 30 s late (ten times the harness's SEND_CONFIRM_TIMEOUT_MS). Resending on
// the 502, or on the confirm timeout alone, gives those customers the same reply twice.
test(`30% of sends accepted then answered 502, statuses ${LATE_MS / 1000} s late: every reply once`, async () => {
  const cluster = await startCluster();
  const { graph } = cluster;
  let ambiguous = 0;
  graph.setResponder(() => {
    if (Math.random() >= 0.3) return undefined;
    ambiguous++;
    return { ...metaErrors.http502Html(), acceptedAnyway: true };
  });
  graph.setStatusScript(() => ({
    delayMs: LATE_MS,
    statuses: [{ status: "sent" }, { status: "delivered" }],
  }));
  try {
    const expected: string[] = [];
    const posts: Promise<unknown>[] = [];
    for (let i = 0; i < CUSTOMERS; i++) {
      const text = `a${i}`;
      expected.push(text);
      posts.push(cluster.deliver(textWebhook({ from: `55219660${String(i).padStart(5, "0")}`, text })));
    }
    await Promise.all(posts);
    await waitUntilSettled(cluster.db, expected.length, LATE_MS + 90_000);
    const { lost, doubled } = lostAndDoubled(expected, graph);
    console.log(
      `accepted-then-502: ${ambiguous} of ${graph.sent.length} sends, statuses ${LATE_MS} ms late; lost ${lost.length}, doubled ${doubled.length}`,
    );
    assert.ok(ambiguous > 0, "some sends were ambiguous");
    assert.deepEqual(lost, [], "lost replies");
    assert.deepEqual(doubled, [], "doubled replies");
    assert.deepEqual(graph.invalid(), []);
  } finally {
    await cluster.stop();
  }
});
