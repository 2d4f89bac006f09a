import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "../helpers/startTestService.ts";
import { lostAndDoubled, startCluster, textWebhook, waitUntilSettled } from "./harness.ts";

const KILLS = Number(process.env.FAULT_KILLS ?? 20);

test(`kill -9 of the worker ${KILLS} times while messages keep arriving: 0 lost, 0 doubled`, async () => {
  const cluster = await startCluster();
  const { graph } = cluster;
  graph.setDelay(15); // a window between Meta accepting a send and our recording it
  const customers = Array.from({ length: 30 }, (_, i) => `551198800${String(i).padStart(4, "0")}`);
  const expected: string[] = [];
  try {
    let feeding = true;
    const feeder = (async () => {
      let n = 0;
      const inFlight: Promise<unknown>[] = [];
      while (feeding || n < 120) {
        const customer = customers[n % customers.length] ?? "";
        const text = `c${n % customers.length}-m${Math.floor(n / customers.length)}`;
        expected.push(text);
        inFlight.push(
          cluster.deliver(
            textWebhook({ from: customer, text, timestamp: Math.floor(Date.now() / 1000) + n }),
          ),
        );
        n++;
        await new Promise((r) => setTimeout(r, 40 + Math.random() * 60));
        if (n >= 400) break;
      }
      await Promise.all(inFlight);
    })();
    let kills = 0;
    while (kills < KILLS) {
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
      const victim = cluster.workers.at(-1);
      if (!victim) break;
      await victim.stop("SIGKILL");
      kills++;
      cluster.startWorker();
    }
    feeding = false;
    await feeder;
    await waitUntilSettled(cluster.db, expected.length);
    await waitFor("replies reached the fake Graph API", async () =>
      lostAndDoubled(expected, graph).lost.length === 0 ? true : undefined,
    ).catch(() => undefined);
    const { lost, doubled } = lostAndDoubled(expected, graph);
    const { rows } = await cluster.db.query<{ status: string; n: number }>(
      "select status, count(*)::int as n from outbox group by status order by status",
    );
    console.log(
      `kill -9 ×${kills}: ${expected.length} messages, ${graph.sent.length} sends accepted, outbox ${JSON.stringify(rows)}, lost ${lost.length}, doubled ${doubled.length}`,
    );
    assert.equal(kills, KILLS);
    assert.deepEqual(lost, [], "lost messages");
    assert.deepEqual(doubled, [], "doubled messages");
    assert.deepEqual(graph.invalid(), []);
  } finally {
    await cluster.stop();
  }
});

test("kill -9 of the sender between Meta accepting a message and our recording it: sent once", async () => {
  const cluster = await startCluster();
  const { graph } = cluster;
  try {
    graph.setDelay(4000); // Meta has the message; its answer takes 4 s
    const customer = "5511977001234";
    await cluster.deliver(textWebhook({ from: customer, text: "no meio do envio" }));
    await waitFor("accepted by Meta", async () => graph.sent.find((s) => s.body.to === `+${customer}`));
    const { rows: before } = await cluster.db.query<{ status: string }>("select status from outbox");
    await cluster.workers[0]?.stop("SIGKILL");
    graph.setDelay(0);
    cluster.startWorker();
    await waitUntilSettled(cluster.db, 1, 30_000);
    await new Promise((r) => setTimeout(r, 4000)); // past SEND_CONFIRM_TIMEOUT_MS
    const sends = graph.sent.filter((s) => s.body.to === `+${customer}`);
    const { rows } = await cluster.db.query<{ status: string; wamid: string; attempts: number }>(
      "select status, wamid, attempts from outbox",
    );
    console.log(`row before the kill: ${JSON.stringify(before)}, after recovery: ${JSON.stringify(rows)}`);
    assert.equal(sends.length, 1, "not sent twice");
    assert.equal(
      rows[0]?.wamid,
      sends[0]?.wamid,
      "the wamid came from Meta's status webhook (callback data)",
    );
    assert.ok(["sent", "delivered", "read"].includes(rows[0]?.status ?? ""));
  } finally {
    await cluster.stop();
  }
});
