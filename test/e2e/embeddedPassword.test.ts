import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pg from "pg";
import { startEmbeddedPostgres } from "../../src/db/startEmbeddedPostgres.ts";
import { createLogger } from "../../src/ops/createLogger.ts";
import { freePort } from "../helpers/spawnService.ts";

// The embedded PostgreSQL's superuser has a random password per data directory, kept in a 0600
// file: no other local user gets in with a constant (COPY … TO PROGRAM would give them the machine).
async function refuses(port: number, password: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
  });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch {
    return true;
  }
}

test("a random superuser password in a private file; a data directory with the old constant is moved off it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wa-pgpw-"));
  chmodSync(dir, 0o755); // as root the server runs as "postgres", who must get through it
  const port = await freePort();
  const logger = createLogger("silent");
  try {
    let server = await startEmbeddedPostgres(dir, port, logger);
    const file = join(dir, "embedded-pg-password");
    assert.ok(existsSync(file));
    assert.equal(statSync(file).mode & 0o077, 0, "readable by the service's user only");
    const password = readFileSync(file, "utf8").trim();
    assert.ok(password.length >= 32);
    assert.equal(await refuses(port, "embedded"), true, "the old constant is refused");
    assert.equal(await refuses(port, password), false);
    // A data directory from before: the server takes the constant and there is no password file.
    const admin = new pg.Client({ connectionString: server.connectionString });
    await admin.connect();
    await admin.query("alter role postgres password 'embedded'");
    await admin.end();
    await server.stop();
    unlinkSync(file);
    server = await startEmbeddedPostgres(dir, port, logger);
    const rotated = readFileSync(file, "utf8").trim();
    assert.notEqual(rotated, password);
    assert.equal(await refuses(port, "embedded"), true, "moved off the constant on start");
    const client = new pg.Client({ connectionString: server.connectionString });
    await client.connect();
    await client.end();
    await server.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
