import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import type { Logger } from "pino";

/** Arbitrary constant shared by every replica so only one migrates at a time. */
const MIGRATION_LOCK_ID = 7_312_004_221;

export type Migration = { version: number; name: string; sql: string };

export async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (name) => ({
      version: Number(name.slice(0, 4)),
      name,
      sql: await readFile(join(dir, name), "utf8"),
    })),
  );
}

/**
 * Applies numbered SQL migrations forward-only, each in its own transaction, under a session
 * advisory lock so several replicas can boot together. `extra` runs under the same lock
 * (graphile-worker's own schema migration).
 */
export async function migrate(
  pool: pg.Pool,
  migrations: Migration[],
  logger: Logger,
  extra?: () => Promise<void>,
): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    await client.query(
      `create table if not exists schema_migrations (
         version integer primary key, name text not null, applied_at timestamptz not null default now())`,
    );
    const { rows } = await client.query<{ version: number }>("select version from schema_migrations");
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await client.query("begin");
      try {
        await client.query(m.sql);
        await client.query("insert into schema_migrations (version, name) values ($1, $2)", [
          m.version,
          m.name,
        ]);
        await client.query("commit");
      } catch (err) {
        await client.query("rollback");
        throw new Error(`migration ${m.name} failed: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      logger.info({ migration: m.name }, "migration applied");
      done.push(m.version);
    }
    if (extra) await extra();
    return done;
  } finally {
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => undefined);
    client.release();
  }
}

export async function pendingMigrations(pool: pg.Pool, migrations: Migration[]): Promise<number> {
  const { rows } = await pool.query<{ version: number }>(
    "select version from schema_migrations where version = any($1::int[])",
    [migrations.map((m) => m.version)],
  );
  return migrations.length - rows.length;
}
