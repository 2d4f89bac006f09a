import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { startTestService } from "../helpers/startTestService.ts";

// Stopping the service (a deploy, the story runner finishing) must not wait on a client that
// never finishes its request: Node would keep the server open until its 5-minute request timeout,
// and the database pool with it.
test("stop() ends within seconds although a client left a request half sent", async () => {
  const svc = await startTestService();
  const { port } = new URL(svc.url);
  const socket = connect(Number(port), "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.on("error", () => undefined);
  socket.write("POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{");
  await new Promise((r) => setTimeout(r, 100));
  const started = Date.now();
  const stopped = await Promise.race([
    svc.stop().then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), 20_000)),
  ]);
  socket.destroy();
  assert.equal(stopped, true, `stop() still waiting after ${Date.now() - started} ms`);
});
