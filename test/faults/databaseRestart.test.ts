import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startEmbeddedPostgres } from "../../src/db/startEmbeddedPostgres.ts";
import { createLogger } from "../../src/ops/createLogger.ts";
import { freePort } from "../helpers/spawnService.ts";
import { waitFor } from "../helpers/startTestService.ts";
import { lostAndDoubled, startCluster, textWebhook, waitUntilSettled } from "./harness.ts";

test("PostgreSQL restarted under load: 503 while down, recovery without help, nothing acknowledged is lost", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wa-fault-pg-"));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const logger = createLogger("warn");
  let server = await startEmbeddedPostgres(dir, port, logger);
  const cluster = await startCluster({ DATABASE_POOL_SIZE: "5" }, { databaseUrl: server.connectionString });
  const expected: string[] = [];
  const statuses: number[] = [];
  try {
    let stopFeeding = false;
    const feeder = (async () => {
      const inFlight: Promise<void>[] = [];
      for (let n = 0; !stopFeeding && n < 300; n++) {
        const text = `pg${n}`;
        expected.push(text);
        const customer = `55119660${String(n % 25).padStart(5, "0")}`;
        inFlight.push(
          cluster
            .deliver(
              textWebhook({ from: customer, text, timestamp: Math.floor(Date.now() / 1000) + n }),
              120_000,
              (s) => statuses.push(s),
            )
            .then(() => undefined),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
      await Promise.all(inFlight);
    })();
    await new Promise((r) => setTimeout(r, 2000));
    await server.stop();
    const downAt = Date.now();
    await waitFor("web answers 503 while the database is down", async () =>
      statuses.includes(503) ? true : undefined,
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}; statuses ${statuses.join(",")}; web log: ${cluster.web.output().slice(-3000)}`,
      );
    });
    const ready = await fetch(`${cluster.webUrl}/readyz`);
    assert.equal(ready.status, 503, "readiness reports the outage");
    await new Promise((r) => setTimeout(r, Math.max(0, 4000 - (Date.now() - downAt))));
    server = await startEmbeddedPostgres(dir, port, logger);
    await new Promise((r) => setTimeout(r, 2000));
    stopFeeding = true;
    await feeder;
    await waitUntilSettled(cluster.db, expected.length, 120_000).catch(async (err: unknown) => {
      const jobs = await cluster.db.query(
        "select task_identifier, attempts, locked_by, run_at, left(last_error, 120) as e from graphile_worker.jobs limit 10",
      );
      const outbox = await cluster.db.query("select status, count(*)::int from outbox group by status");
      throw new Error(
        `${String(err)}\njobs: ${JSON.stringify(jobs.rows)}\noutbox: ${JSON.stringify(outbox.rows)}\nworker: ${cluster.workers[0]?.output().slice(-3000)}`,
      );
    });
    await waitFor("replies after recovery", async () =>
      lostAndDoubled(expected, cluster.graph).lost.length === 0 ? true : undefined,
    ).catch(() => undefined);
    const { lost, doubled } = lostAndDoubled(expected, cluster.graph);
    const counts = statuses.reduce<Record<string, number>>((acc, s) => {
      acc[s] = (acc[s] ?? 0) + 1;
      return acc;
    }, {});
    console.log(
      `database down ~4 s under load: ${expected.length} messages, webhook answers ${JSON.stringify(counts)}, lost ${lost.length}, doubled ${doubled.length}`,
    );
    assert.ok((counts["503"] ?? 0) > 0);
    assert.equal(counts["500"] ?? 0, 0, "no 500s: only 503 while down");
    assert.deepEqual(lost, []);
    assert.deepEqual(doubled, []);
    assert.equal((await fetch(`${cluster.webUrl}/readyz`)).status, 200, "web recovered by itself");
    const worker = cluster.workers[0];
    assert.ok(
      worker && worker.child.exitCode === null,
      `worker process still running: ${worker?.output().slice(-1500)}`,
    );
  } finally {
    await cluster.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
