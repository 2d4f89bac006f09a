import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  Logger as GraphileLogger,
  makeWorkerUtils,
  type Runner,
  run,
  type TaskList,
  type WorkerEvents,
} from "graphile-worker";
import type pg from "pg";
import type { Logger } from "pino";

/** How long a runner that hit a fatal error may take to shut down before a new one replaces it. */
const FATAL_GRACE_MS = 5000;

export type WorkerHandle = {
  runner: Runner;
  running: () => boolean;
  stop: () => Promise<void>;
};

export type WorkerOptions = {
  pool: pg.Pool;
  logger: Logger;
  concurrency: number;
  pollIntervalMs: number;
  staleAfterMs: number;
  tasks: TaskList;
};

/**
 * Runs graphile-worker on our pool, plus a heartbeat: graphile-worker only frees jobs locked by a
 * crashed process after 4 hours, so every process records that its workers are alive, and any
 * process frees the jobs of workers that went silent (kill -9, lost machine) after `staleAfterMs`.
 */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const { pool, logger } = options;
  const processId = `p-${randomBytes(4).toString("hex")}`;
  const workerIds = new Set<string>();
  let stopped = false;
  // Our own emitter, so events fired while run() starts (the pool's creation) are seen too.
  const events: WorkerEvents = new EventEmitter();
  let currentPool = "";
  events.on("pool:create", ({ workerPool }) => {
    // With a local queue, jobs are locked under the pool's id, not a worker's.
    workerIds.add(workerPool.id);
    currentPool = workerPool.id;
  });
  events.on("worker:create", ({ worker }) => {
    workerIds.add(worker.workerId);
    void beat().catch(() => undefined);
  });
  events.on("job:error", ({ job, error }) =>
    logger.warn(
      { jobId: job.id, task: job.task_identifier, attempt: job.attempts, err: String(error) },
      "job failed",
    ),
  );
  events.on("job:failed", ({ job, error }) =>
    logger.error(
      { jobId: job.id, task: job.task_identifier, err: String(error) },
      "job dead after max attempts",
    ),
  );

  const startRunner = () =>
    run({
      pgPool: pool,
      concurrency: options.concurrency,
      pollInterval: options.pollIntervalMs,
      noHandleSignals: true,
      taskList: options.tasks,
      events,
      preset: {
        worker: {
          // Fetch and lock a batch of ready jobs per round trip instead of one per worker: far fewer
          // queries under load. Jobs held locally by a killed process are freed by the heartbeat sweep.
          localQueue: { size: options.concurrency * 2 },
          // Complete jobs finishing in the same tick with one statement.
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
      logger: new GraphileLogger((scope) => (level, message, meta) => {
        const method = level === "error" ? "error" : level === "warning" ? "warn" : "debug";
        logger[method]({ graphile: scope, ...meta }, message);
      }),
    });

  let onFatal: () => void = () => undefined;
  // Only the current runner's pool: a late error of a replaced one must not restart a healthy runner.
  events.on("pool:fatalError", ({ workerPool }) => {
    if (workerPool.id === currentPool) onFatal();
  });
  let runner = await startRunner();
  // graphile-worker stops its whole runner when it cannot record a job's failure (the database
  // went away mid-job): the process would live on and run nothing. Start a new runner instead,
  // and forget the old one's ids: its jobs stay locked under ids nobody beats for any more, so
  // the sweep below frees them after staleAfterMs, exactly as for a killed process.
  const supervise = (current: Runner): void => {
    // A fatal error (jobs it could not complete or fail with the database down) makes the pool shut
    // down; that shutdown can itself hang on the lost database, leaving `promise` pending and the
    // process running nothing. After a grace period the runner is treated as dead either way.
    const fatal = new Promise<void>((resolve) => {
      onFatal = () => setTimeout(resolve, FATAL_GRACE_MS).unref();
    });
    void Promise.race([current.promise.catch(() => undefined), fatal]).then(async () => {
      onFatal = () => undefined;
      if (stopped) return;
      void current.stop().catch(() => undefined);
      workerIds.clear();
      logger.error("job runner stopped on its own (database lost?); starting a new one");
      for (let attempt = 1; !stopped; attempt++) {
        await new Promise((r) => setTimeout(r, Math.min(5000, 250 * attempt)));
        if (stopped) return;
        try {
          runner = await startRunner();
          logger.warn({ attempt }, "job runner restarted");
          supervise(runner);
          return;
        } catch (err) {
          logger.warn({ attempt, err: String(err) }, "job runner restart failed; retrying");
        }
      }
    });
  };
  supervise(runner);

  async function beat(): Promise<void> {
    if (stopped || workerIds.size === 0) return;
    await pool.query(
      `insert into worker_heartbeats (worker_id, role, beat_at)
       select unnest($1::text[]), $2, now()
       on conflict (worker_id) do update set beat_at = now()`,
      [[...workerIds], processId],
    );
  }

  async function sweep(): Promise<void> {
    // Workers whose heartbeat stopped, and workers holding jobs without ever having beaten.
    const { rows } = await pool.query<{ worker_id: string }>(
      `select worker_id from worker_heartbeats where beat_at < now() - $1 * interval '1 millisecond'
       union
       select distinct locked_by from graphile_worker.jobs j
        where locked_by is not null and locked_at < now() - $1 * interval '1 millisecond'
          and not exists (select 1 from worker_heartbeats h where h.worker_id = j.locked_by)`,
      [options.staleAfterMs],
    );
    const stale = rows.map((r) => r.worker_id).filter((id) => !workerIds.has(id));
    if (stale.length === 0) return;
    const utils = await makeWorkerUtils({ pgPool: pool });
    try {
      await utils.forceUnlockWorkers(stale);
    } finally {
      await utils.release();
    }
    await pool.query("delete from worker_heartbeats where worker_id = any($1::text[])", [stale]);
    logger.warn({ workers: stale }, "released jobs of workers presumed dead");
  }

  const interval = Math.max(500, Math.floor(options.staleAfterMs / 4));
  const timer = setInterval(() => {
    beat()
      .then(sweep)
      .catch((err: unknown) => logger.warn({ err: String(err) }, "worker heartbeat failed"));
  }, interval);
  timer.unref();

  return {
    get runner() {
      return runner;
    },
    running: () => !stopped,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await runner.stop().catch(() => undefined);
      await pool
        .query("delete from worker_heartbeats where worker_id = any($1::text[])", [[...workerIds]])
        .catch(() => undefined);
    },
  };
}
