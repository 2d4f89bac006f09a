import { createHash } from "node:crypto";
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
    await client.query("alter table schema_migrations add column if not exists checksum text");
    const { rows } = await client.query<{ version: number; checksum: string | null }>(
      "select version, checksum from schema_migrations",
    );
    await checkApplied(client, migrations, rows);
    const applied = new Set(rows.map((r) => r.version));
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await client.query("begin");
      try {
        await client.query(m.sql);
        await client.query("insert into schema_migrations (version, name, checksum) values ($1, $2, $3)", [
          m.version,
          m.name,
          checksumOf(m.sql),
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

/** The migration's text, line endings normalised (a Windows checkout is the same migration). */
export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/**
 * Forward-only means an applied migration never changes: one edited after it ran would leave
 * this database and a fresh one different, silently. Refuses to start on a mismatch; rows from
 * before checksums were kept get the file's checksum now.
 */
async function checkApplied(
  client: pg.PoolClient,
  migrations: Migration[],
  rows: { version: number; checksum: string | null }[],
): Promise<void> {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of rows) {
    const m = byVersion.get(row.version);
    if (!m) continue;
    const sum = checksumOf(m.sql);
    if (row.checksum === null)
      await client.query("update schema_migrations set checksum = $2 where version = $1", [row.version, sum]);
    else if (row.checksum !== sum)
      throw new Error(
        `migration ${m.name} was edited after this database applied it (checksum differs): restore it and add a new migration instead`,
      );
  }
}

export async function pendingMigrations(pool: pg.Pool, migrations: Migration[]): Promise<number> {
  const { rows } = await pool.query<{ version: number }>(
    "select version from schema_migrations where version = any($1::int[])",
    [migrations.map((m) => m.version)],
  );
  return migrations.length - rows.length;
}
