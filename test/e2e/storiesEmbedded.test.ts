import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// `npm run stories` with no DATABASE_URL: the runner starts its own embedded PostgreSQL in a
// temporary directory, as on a new user's machine.
test("stories run on an embedded PostgreSQL when no DATABASE_URL is set", async () => {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["scripts/stories.ts", "test/stories/echo"], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    env: { ...env, LLM_BASE_URL: "" },
  });
  let out = "";
  child.stdout.on("data", (c) => {
    out += String(c);
  });
  child.stderr.on("data", (c) => {
    out += String(c);
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, out);
  assert.match(out, /^ok {4}the echo agent answers every message/m);
  assert.match(out, /^1 passed, 0 failed/m);
});
