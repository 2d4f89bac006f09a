import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { freePort, spawnService, waitForReady } from "../helpers/spawnService.ts";

const SEND = fileURLToPath(new URL("../../scripts/send.ts", import.meta.url));

test("with no DATABASE_URL and no token: embedded PostgreSQL + sandbox, and `npm run send` gets a reply", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "wa-default-"));
  chmodSync(dataDir, 0o755); // as root, the embedded server runs as the unprivileged "postgres" user
  const port = await freePort();
  const env = {
    DATA_DIR: dataDir,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(await freePort()),
    LOG_LEVEL: "info",
  };
  const svc = spawnService(env);
  try {
    await waitForReady(`http://127.0.0.1:${port}`, 60_000);
    assert.match(svc.output(), /embedded PostgreSQL running/);
    assert.match(svc.output(), /"transport":"sandbox"/);
    const secrets = join(dataDir, "secrets.json");
    assert.ok(existsSync(secrets), "development secrets generated under DATA_DIR");
    assert.equal(statSync(secrets).mode & 0o077, 0, "secrets file is private");
    assert.ok(JSON.parse(readFileSync(secrets, "utf8")).WHATSAPP_APP_SECRET.length >= 32);
    const send = spawnSync(process.execPath, [SEND, "Oi"], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(send.status, 0, send.stderr + send.stdout);
    assert.match(send.stdout, /webhook answered 200/);
    assert.match(
      send.stdout,
      /← bot: Olá! Aqui é a assistente virtual da Aurora Energia.*qual é o seu nome\?/,
    );
    // Words without quotes and without --from are the message, all of them.
    const name = spawnSync(process.execPath, [SEND, "Maria", "Souza"], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(name.status, 0, name.stderr + name.stdout);
    assert.match(name.stdout, /→ 5511999990001: Maria Souza/);
    assert.match(name.stdout, /← bot: .*Maria/);
    // The address the log prints leads to the console.
    const root = await fetch(`http://127.0.0.1:${port}/`, { redirect: "manual" });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get("location"), "/console/");
    // The console needs no password in the local embedded default, only the login link printed at
    // start-up; the simulator is on.
    const base = `http://127.0.0.1:${port}`;
    const link = /"consoleLogin":"http:\/\/127\.0\.0\.1:\d+\/console\/#login=([\w-]{40,})"/.exec(
      svc.output(),
    );
    assert.ok(link?.[1], "the login link is printed");
    const token = link[1];
    // Without the link's token nobody is logged in: not this machine's own browser, not a local
    // reverse proxy (plain proxy_pass, X-Real-IP, Via), not a guessed token.
    for (const headers of [
      {},
      { "x-real-ip": "8.8.8.8" },
      { via: "1.1 nginx" },
      { "x-console-login": "guessed-token-guessed-token-guessed-token-00" },
    ]) {
      const probe = await fetch(`${base}/console/api/session`, { headers });
      assert.equal(probe.status, 401, JSON.stringify(headers));
      assert.equal(probe.headers.get("set-cookie"), null);
    }
    const session = await fetch(`${base}/console/api/session`, { headers: { "x-console-login": token } });
    assert.equal(session.status, 200);
    const body = z.object({ operator: z.string(), loginRequired: z.boolean() }).parse(await session.json());
    assert.deepEqual(body, { ...body, operator: "local", loginRequired: false });
    const cookie = session.headers.get("set-cookie")?.split(";")[0] ?? "";
    const sim = await fetch(`${base}/console/api/simulator`, { headers: { cookie } });
    assert.equal(sim.status, 200);
    assert.match(svc.output(), /"console":"http:\/\/127\.0\.0\.1:\d+\/console"/);
  } finally {
    const stopped = await svc.stop("SIGTERM");
    assert.equal(stopped.code, 0, svc.output().slice(-2000));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
