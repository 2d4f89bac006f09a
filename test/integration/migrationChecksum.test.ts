import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { checksumOf, migrate } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/ops/createLogger.ts";
import { createTestDatabase } from "../helpers/testDatabase.ts";

// Forward-only migrations: one edited after a database applied it is refused at start-up instead
// of leaving that database and a fresh one silently different.
test("an applied migration edited afterwards stops the start with its name; line endings do not count", async () => {
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const logger = createLogger("silent");
  const first = { version: 9001, name: "9001_example.sql", sql: "create table example (id int);\n" };
  try {
    assert.deepEqual(await migrate(pool, [first], logger), [9001]);
    const windows = { ...first, sql: first.sql.replace(/\n/g, "\r\n") };
    assert.deepEqual(
      await migrate(pool, [windows], logger),
      [],
      "the same migration from a Windows checkout",
    );
    const edited = { ...first, sql: "create table example (id bigint);\n" };
    await assert.rejects(
      migrate(pool, [edited], logger),
      /9001_example\.sql was edited after this database applied it/,
    );
    // A row from before checksums were kept takes the file's checksum on the next start.
    await pool.query("update schema_migrations set checksum = null where version = 9001");
    await migrate(pool, [first], logger);
    const { rows } = await pool.query<{ checksum: string }>(
      "select checksum from schema_migrations where version = 9001",
    );
    assert.equal(rows[0]?.checksum, checksumOf(first.sql));
  } finally {
    await pool.end();
    await database.drop();
  }
});
