import pg from "pg";
import type { Logger } from "pino";

/** Bigint ids come back as strings by default; ours stay far below 2^53. */
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPool(connectionString: string, max: number, logger: Logger): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5000 });
  // An idle client losing its server (restart, failover) must not crash the process.
  pool.on("error", (err) => logger.warn({ err: err.message }, "idle database connection lost"));
  pool.on("connect", (client) => {
    client.on("error", (err) => logger.warn({ err: err.message }, "database connection error"));
  });
  return pool;
}
