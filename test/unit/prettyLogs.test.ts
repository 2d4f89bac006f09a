import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { createLogger } from "../../src/ops/createLogger.ts";

function capture() {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

test("pretty logs are readable lines, still masked; JSON stays the machine format", () => {
  const pretty = capture();
  createLogger("info", pretty.stream, true).info({ conversationId: 7 }, "reply to +5511987654321 sent");
  assert.match(pretty.text(), /INFO.*reply to \[phone\] sent/);
  assert.match(pretty.text(), /conversationId: 7/);
  assert.doesNotMatch(pretty.text(), /^\{/);
  const json = capture();
  createLogger("info", json.stream).info("hello");
  assert.match(json.text(), /^\{"level":30,/);
});
