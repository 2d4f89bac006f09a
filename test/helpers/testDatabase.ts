import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * The server tests run against: TEST_DATABASE_URL (set by scripts/runTests.ts to the local
 * PostgreSQL or to an embedded one). Each test file gets a fresh database of its own.
 */
export function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

export type TestDatabase = { url: string; name: string; drop: () => Promise<void> };

export async function createTestDatabase(): Promise<TestDatabase> {
  const server = testServerUrl();
  const name = `t_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      try {
        // A service that has just stopped may still be closing a connection; give it a moment
        // before forcing (a forced drop kills it mid-query, and that error lands in the test).
        for (let i = 0; i < 40; i++) {
          const { rows } = await c.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where datname = $1",
            [name],
          );
          if ((rows[0]?.n ?? 0) === 0) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        const left = await c.query<{ query: string; state: string }>(
          "select left(query, 200) as query, state from pg_stat_activity where datname = $1",
          [name],
        );
        if (left.rows.length > 0)
          console.warn(`test database ${name}: connections still open after 2 s:`, left.rows);
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
