import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pg from "pg";
import { loadConfig } from "../../src/config/loadConfig.ts";
import { withLocalSecrets } from "../../src/config/withLocalSecrets.ts";
import { createReadiness } from "../../src/ops/createReadiness.ts";
import { redactText } from "../../src/shared/redact.ts";

test("/readyz says the database is unreachable without the driver's message", async () => {
  const pool = new pg.Pool({ connectionString: "postgres://secretuser:pw@127.0.0.1:1/secretdb" });
  pool.on("error", () => undefined);
  try {
    const readiness = createReadiness({
      config: loadConfig({ DATABASE_URL: "postgres://x@127.0.0.1:1/x" }),
      pool,
      migrations: [],
      worker: undefined,
      shuttingDown: () => false,
    });
    const r = await readiness();
    assert.equal(r.ok, false);
    assert.equal(r.checks.database, "unreachable");
  } finally {
    await pool.end();
  }
});

test("local secrets are created exclusively: an unreadable file or a planted symlink is an error, never overwritten", () => {
  const dir = mkdtempSync(join(tmpdir(), "wa-secrets-"));
  try {
    const config = loadConfig({ DATA_DIR: dir });
    writeFileSync(join(dir, "secrets.json"), "not json");
    assert.throws(() => withLocalSecrets(config), /cannot be read as secrets/);
    assert.equal(readFileSync(join(dir, "secrets.json"), "utf8"), "not json", "left as it was");
    rmSync(join(dir, "secrets.json"));
    const target = join(dir, "elsewhere.txt");
    writeFileSync(target, "do not touch");
    symlinkSync(target, join(dir, "secrets.json"));
    assert.throws(() => withLocalSecrets(config), /cannot be read as secrets/);
    assert.equal(readFileSync(target, "utf8"), "do not touch");
    rmSync(join(dir, "secrets.json"));
    assert.ok(withLocalSecrets(config).ADMIN_TOKEN, "a fresh directory gets its secrets");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("long hex secrets are masked in log text; short hex (ids, colours) is not", () => {
  assert.equal(redactText(`token ${"a1".repeat(24)} used`), "token [secret] used");
  assert.equal(redactText("cor #ff8800, id 0123abcd"), "cor #ff8800, id 0123abcd");
});
