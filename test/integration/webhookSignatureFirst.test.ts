import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { startTestService, type TestService } from "../helpers/startTestService.ts";

// A webhook POST without a well-formed signature header is refused from its headers alone: the
// service answers 401 before reading (or waiting for) the body.
let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => {
  await svc.stop();
});

/**
 * Sends only the request head (the body never comes) and returns the status line, or "" when no
 * answer came within `waitMs`.
 */
async function headOnly(headers: string, waitMs = 10_000): Promise<string> {
  const { port } = new URL(svc.url);
  const socket = connect(Number(port), "127.0.0.1");
  socket.on("error", () => undefined);
  const answer = new Promise<string>((resolve) => {
    let received = "";
    socket.on("data", (d) => {
      received += String(d);
      if (received.includes("\r\n")) resolve(received.split("\r\n")[0] ?? "");
    });
    setTimeout(() => resolve(""), waitMs);
  });
  socket.write(`POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3000000\r\n${headers}\r\n`);
  const line = await answer;
  socket.destroy();
  return line;
}

test("no signature header: 401 before the body is read", async () => {
  assert.equal(await headOnly(""), "HTTP/1.1 401 Unauthorized");
});

test("a malformed signature header: 401 before the body is read", async () => {
  assert.equal(await headOnly("X-Hub-Signature-256: sha1=0123\r\n"), "HTTP/1.1 401 Unauthorized");
});

test("a well-formed header waits for the body, which is then checked", async () => {
  assert.equal(await headOnly(`X-Hub-Signature-256: sha256=${"a".repeat(64)}\r\n`, 1500), "");
});
