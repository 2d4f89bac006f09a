import assert from "node:assert/strict";
import { test } from "node:test";
import type pg from "pg";
import { waitFor } from "../helpers/startTestService.ts";
import { lostAndDoubled, startCluster, textWebhook, waitUntilSettled } from "./harness.ts";

const KILLS = Number(process.env.FAULT_KILLS ?? 20);
/** Conversations written to during the kills. */
const CUSTOMERS = Number(process.env.FAULT_KILL_CUSTOMERS ?? 200);

/** The turn lease lasts TURN_TIMEOUT_MS; a lease with nearly all of it left was just taken. */
const TURN_TIMEOUT_MS = 30_000;

/**
 * Whether the worker is in the middle of `what`, seen from the database: a send marked sending,
 * or a turn's lease taken in the last half second (a killed worker's lease lingers until it ends).
 */
async function inFlight(db: pg.Pool, what: "midSend" | "midTurn"): Promise<true | undefined> {
  const { rows } = await db.query<{ busy: boolean }>(
    what === "midSend"
      ? "select exists (select 1 from outbox where status = 'sending') as busy"
      : `select exists (select 1 from conversations
                         where turn_lease_until > now() + ($1::int - 500) * interval '1 millisecond') as busy`,
    what === "midSend" ? [] : [TURN_TIMEOUT_MS],
  );
  return rows[0]?.busy ? true : undefined;
}

test(`kill -9 of the worker ${KILLS} times while ${CUSTOMERS} conversations keep writing: 0 lost, 0 doubled`, async () => {
  const cluster = await startCluster({ TURN_TIMEOUT_MS: String(TURN_TIMEOUT_MS) });
  const { graph } = cluster;
  graph.setDelay(60); // a window between Meta accepting a send and our recording it
  // Statuses come late (past WORKER_STALE_AFTER_MS and SEND_CONFIRM_TIMEOUT_MS), as on a bad day:
  // a send killed after Meta took it is not settled by its status before the restarted worker
  // looks at it again.
  graph.setStatusScript(() => ({ delayMs: 5000, statuses: [{ status: "sent" }, { status: "delivered" }] }));
  const customers = Array.from({ length: CUSTOMERS }, (_, i) => `551198800${String(i).padStart(4, "0")}`);
  const expected: string[] = [];
  try {
    let feeding = true;
    const feeder = (async () => {
      let n = 0;
      const inFlight: Promise<unknown>[] = [];
      while (feeding || n < CUSTOMERS) {
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
    const landed = { midSend: 0, midTurn: 0, idle: 0 };
    while (kills < KILLS) {
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
      const victim = cluster.workers.at(-1);
      if (!victim) break;
      // The kill lands while the (only) worker is inside a turn or a send: it is running, not
      // still starting, and something is half done.
      const target = kills % 2 === 0 ? "midSend" : "midTurn";
      const work = await waitFor(`${target} work in flight`, () => inFlight(cluster.db, target), 3000)
        .then(() => target)
        .catch(() => "idle" as const);
      await victim.stop("SIGKILL");
      landed[work]++;
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
      `kill -9 ×${kills} (mid-send ${landed.midSend}, mid-turn ${landed.midTurn}, idle ${landed.idle}): ${expected.length} messages, ${graph.sent.length} sends accepted, outbox ${JSON.stringify(rows)}, lost ${lost.length}, doubled ${doubled.length}`,
    );
    assert.equal(kills, KILLS);
    assert.ok(landed.midSend > 0, "some kills landed mid-send");
    assert.ok(landed.midTurn > 0, "some kills landed mid-turn");
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
