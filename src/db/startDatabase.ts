import { runMigrations } from "graphile-worker";
import type { Logger } from "pino";
import { type Config, ConfigError } from "../config/loadConfig.ts";
import { createPool } from "./createPool.ts";
import { migrate, readMigrations } from "./migrate.ts";
import { startEmbeddedPostgres } from "./startEmbeddedPostgres.ts";

/**
 * The database: DATABASE_URL, or the embedded PostgreSQL (the zero-setup default) started in
 * DATA_DIR; the pool; our migrations and graphile-worker's, applied under a lock.
 */
export async function startDatabase(config: Config, rootDir: string, logger: Logger) {
  const embedded = config.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT, logger);
  const connectionString = config.DATABASE_URL ?? embedded?.connectionString;
  if (!connectionString) throw new ConfigError(["DATABASE_URL: no database"]);
  const pool = createPool(connectionString, config.DATABASE_POOL_SIZE, logger);
  const migrations = await readMigrations(`${rootDir}/migrations`);
  await migrate(pool, migrations, logger, () => runMigrations({ pgPool: pool }));
  const stop = async () => {
    await pool.end();
    await embedded?.stop();
  };
  return { pool, migrations, stop };
}
