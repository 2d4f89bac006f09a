import assert from "node:assert/strict";
import { test } from "node:test";
import { runStoriesCli } from "../helpers/runStoriesCli.ts";

// `npm run stories` with no DATABASE_URL: the runner starts its own embedded PostgreSQL in a
// temporary directory, as on a new user's machine.
test("stories run on an embedded PostgreSQL when no DATABASE_URL is set", async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, LLM_BASE_URL: "" };
  delete env.DATABASE_URL;
  const { code, out } = await runStoriesCli(["test/stories/echo"], env);
  assert.equal(code, 0, out);
  assert.match(out, /^ok {4}the echo agent answers every message/m);
  assert.match(out, /^1 passed, 0 failed/m);
});
