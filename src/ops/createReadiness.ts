import type pg from "pg";
import type { Config } from "../config/loadConfig.ts";
import { type Migration, pendingMigrations } from "../db/migrate.ts";
import type { WorkerHandle } from "../queue/startWorker.ts";

/** `GET /readyz`: the database reachable with every migration applied, the worker running, not stopping. */
export function createReadiness(p: {
  config: Config;
  pool: pg.Pool;
  migrations: Migration[];
  worker: WorkerHandle | undefined;
  shuttingDown: () => boolean;
}) {
  return async () => {
    const checks: Record<string, boolean | string> = { shuttingDown: p.shuttingDown() };
    checks.database = await pendingMigrations(p.pool, p.migrations).then(
      (n) => (n === 0 ? true : "migrations pending"),
      // Not the driver's message: it can name hosts, users and databases to anyone who asks.
      () => "unreachable",
    );
    checks.worker = p.config.ROLE === "web" ? "not in this role" : (p.worker?.running() ?? false);
    return { ok: !p.shuttingDown() && checks.database === true && checks.worker !== false, checks };
  };
}
