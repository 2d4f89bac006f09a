import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { consoleClient } from "../helpers/consoleClient.ts";
import { startTestService, type TestService } from "../helpers/startTestService.ts";

// The console's live event stream outlives neither a logout nor a password change: it checks its
// session every few seconds and ends when the session is gone.
let t: TestService;
before(async () => {
  t = await startTestService({ DEFAULT_AGENT: "", CONSOLE_PASSWORD: "correct horse battery" });
});
after(async () => {
  await t.stop();
});

/** Resolves when the stream ends (the server closed it), or with false after `ms`. */
async function endsWithin(body: ReadableStream<Uint8Array>, ms: number): Promise<boolean> {
  const reader = body.getReader();
  const deadline = setTimeout(() => void reader.cancel(), ms);
  try {
    for (;;) {
      const { done } = await reader.read();
      if (done) return true;
    }
  } catch {
    return false;
  } finally {
    clearTimeout(deadline);
  }
}

test("after logout, the open event stream is closed by the server", async () => {
  const c = consoleClient(t.url);
  assert.equal((await c.login("Ana", "correct horse battery")).status, 200);
  const cookie = c.cookie() ?? "";
  const stream = await fetch(`${t.url}/console/api/events`, { headers: { cookie } });
  assert.equal(stream.status, 200);
  assert.ok(stream.body);
  assert.equal((await c.send("POST", "/console/api/logout")).status, 204);
  const ended = await endsWithin(stream.body, 15_000);
  assert.equal(ended, true, "the stream ended once its session was gone");
});
