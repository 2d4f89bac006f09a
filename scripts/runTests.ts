/**
 * `npm test`: unit tests once, then the database tests twice — on the local PostgreSQL server
 * (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) and on an embedded
 * PostgreSQL started from the npm package — so both supported set-ups are proven on every run.
 * Under CI=true a missing local server is a failure, not a skip.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/startEmbeddedPostgres.ts";
import { createLogger } from "../src/ops/createLogger.ts";

const env = process.env;
const ci = env.CI === "true" || env.CI === "1";
const only = env.TEST_TARGETS?.split(",") ?? ["local", "embedded", "browser"];
const extraArgs = process.argv.slice(2);
const logger = createLogger("warn");

/**
 * Runs `node --test` and waits for it without blocking this process: the embedded PostgreSQL
 * started below writes its log to a pipe this process must keep draining (with spawnSync, once the
 * pipe's 64 KB filled up, every backend that logged an error blocked for good).
 */
async function runNodeTest(label: string, globs: string[], databaseUrl?: string): Promise<boolean> {
  console.log(`\n=== ${label} ===`);
  const child = spawn(
    process.execPath,
    ["--test", "--test-concurrency=2", "--test-timeout=120000", ...extraArgs, ...globs],
    { stdio: "inherit", env: { ...env, ...(databaseUrl ? { TEST_DATABASE_URL: databaseUrl } : {}) } },
  );
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  return code === 0;
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const dbTests = ["test/integration/**/*.test.ts"];
const failures: string[] = [];
if (
  !(await runNodeTest("unit and end-to-end tests", [
    "test/unit/**/*.test.ts",
    "test/helpers/**/*.test.ts",
    "test/e2e/**/*.test.ts",
  ]))
)
  failures.push("unit");

if (only.includes("local")) {
  const url = env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  if (await reachable(url)) {
    if (!(await runNodeTest(`database tests on PostgreSQL at ${new URL(url).host}`, dbTests, url)))
      failures.push("local");
  } else if (ci) {
    console.error(`PostgreSQL is not reachable at ${new URL(url).host} (CI requires it)`);
    failures.push("local (unreachable)");
  } else {
    console.warn(`Skipping local PostgreSQL tests: nothing at ${new URL(url).host}. Set TEST_DATABASE_URL.`);
  }
}

// The console in a real browser: Debian's chromium driven by playwright-core, on the local server.
if (only.includes("browser")) {
  const chromium = env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  const url = env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  if (!existsSync(chromium)) {
    if (ci) {
      console.error(`No chromium at ${chromium} (CI requires it: apt-get install chromium)`);
      failures.push("browser (no chromium)");
    } else console.warn(`Skipping browser tests: no chromium at ${chromium} (apt-get install chromium).`);
  } else if (!(await reachable(url))) {
    if (ci) failures.push("browser (PostgreSQL unreachable)");
    else console.warn("Skipping browser tests: PostgreSQL is not reachable.");
  } else if (!(await runNodeTest("browser tests (chromium)", ["test/browser/**/*.test.ts"], url)))
    failures.push("browser");
}

if (only.includes("embedded")) {
  const dir = mkdtempSync(join(tmpdir(), "wa-embedded-pg-"));
  // mkdtemp makes it 0700; as root the server runs as the "postgres" user, who must get through it.
  chmodSync(dir, 0o755);
  const port = 55000 + Math.floor(Math.random() * 2000);
  const embedded = await startEmbeddedPostgres(dir, port, logger);
  try {
    const admin = new URL(embedded.connectionString);
    admin.pathname = "/postgres";
    if (
      !(await runNodeTest(`database tests on embedded PostgreSQL (port ${port})`, dbTests, admin.toString()))
    ) {
      failures.push("embedded");
    }
  } finally {
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (failures.length > 0) {
  console.error(`\nFAILED: ${failures.join(", ")}`);
  process.exit(1);
}
console.log("\nAll test runs passed.");
