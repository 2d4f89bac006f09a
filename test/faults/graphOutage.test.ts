import assert from "node:assert/strict";
import { test } from "node:test";
import { metaErrors } from "../helpers/fakeGraphApi.ts";
import { lostAndDoubled, startCluster, textWebhook, waitUntilSettled } from "./harness.ts";

const BURST_MS = Number(process.env.FAULT_GRAPH_BURST_MS ?? 30_000);
const RATE = 80;

test(`Graph API answering 429, 500 and 131056 for ${BURST_MS / 1000} s: all delivered afterwards, within the rate limits, once`, async () => {
  const cluster = await startCluster(
    {
      // No attempt cap (the default): replies are retried by time, SEND_RETRY_FOR_MS (6 h).
      SEND_RATE_PER_SECOND: String(RATE),
      WORKER_CONCURRENCY: "8",
    },
    { workers: 2 },
  );
  const { graph } = cluster;
  const failures = [metaErrors.http429, metaErrors.internalError, metaErrors.pairRateLimit];
  const outageEnds = Date.now() + BURST_MS;
  let refused = 0;
  graph.setResponder(() => {
    if (Date.now() >= outageEnds) return undefined;
    refused++;
    return failures[Math.floor(Math.random() * failures.length)]?.();
  });
  const expected: string[] = [];
  try {
    const posts: Promise<unknown>[] = [];
    // 200 customers with one message and 10 with three: a backlog far above 80 messages/s when Meta recovers.
    for (let i = 0; i < 230; i++) {
      const customer = `55119770${String(i < 200 ? i : 200 + ((i - 200) % 10)).padStart(5, "0")}`;
      const text = `g${i}`;
      expected.push(text);
      posts.push(
        cluster.deliver(textWebhook({ from: customer, text, timestamp: Math.floor(Date.now() / 1000) + i })),
      );
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(posts);
    await waitUntilSettled(cluster.db, expected.length, BURST_MS + 120_000);
    const { lost, doubled } = lostAndDoubled(expected, graph);
    const times = graph.sent.map((s) => s.at).sort((a, b) => a - b);
    let maxPerSecond = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while ((times[i] ?? 0) - (times[j] ?? 0) >= 1000) j++;
      maxPerSecond = Math.max(maxPerSecond, i - j + 1);
    }
    const perCustomer = new Map<string, number[]>();
    for (const s of graph.sent)
      perCustomer.set(String(s.body.to), [...(perCustomer.get(String(s.body.to)) ?? []), s.at]);
    let maxPairBurst = 0;
    for (const ts of perCustomer.values()) {
      ts.sort((a, b) => a - b);
      for (let i = 0, j = 0; i < ts.length; i++) {
        while ((ts[i] ?? 0) - (ts[j] ?? 0) >= 6000) j++;
        maxPairBurst = Math.max(maxPairBurst, i - j + 1);
      }
    }
    const { rows } = await cluster.db.query<{ status: string; n: number }>(
      "select status, count(*)::int as n from outbox group by status order by status",
    );
    const lastSend = times.at(-1) ?? 0;
    console.log(
      `outage ${BURST_MS} ms: ${refused} sends refused, ${graph.sent.length} accepted, peak ${maxPerSecond}/s (limit ${RATE}), ` +
        `max ${maxPairBurst} per customer per 6 s, all delivered ${Math.round((lastSend - outageEnds) / 100) / 10} s after the outage, outbox ${JSON.stringify(rows)}`,
    );
    assert.ok(refused > 0, "the outage refused sends");
    assert.deepEqual(lost, []);
    assert.deepEqual(doubled, []);
    assert.ok(maxPerSecond <= RATE, `peak ${maxPerSecond}/s above ${RATE}/s`);
    assert.ok(maxPairBurst <= 10, `pair burst ${maxPairBurst} above PAIR_RATE_BURST`);
    assert.ok(rows.every((r) => r.status !== "dead" && r.status !== "failed"));
    assert.deepEqual(graph.invalid(), []);
  } finally {
    await cluster.stop();
  }
});
