import assert from "node:assert/strict";
import { test } from "node:test";
import { advanceStatus, callbackDataFor, outboxIdFromCallback } from "../../src/delivery/advanceStatus.ts";
import { deliveryProblemOf } from "../../src/delivery/recordDeliveryProblem.ts";
import { pairLimitDelay, retryDelay } from "../../src/outbound/retryDelay.ts";
import { givenUp } from "../../src/outbound/sendOutboxMessage.ts";
import { splitText } from "../../src/outbound/splitText.ts";
import { takeToken } from "../../src/outbound/takeToken.ts";
import {
  classifyErrorCode,
  classifySendFailure,
  GraphApiError,
  GraphNetworkError,
} from "../../src/whatsapp/graphErrors.ts";

test("statuses only move up; failed is terminal; stale and duplicate events change nothing", () => {
  assert.equal(advanceStatus("sending", "sent"), "sent");
  assert.equal(advanceStatus("sent", "read"), "read", "delivered may be skipped");
  assert.equal(advanceStatus("read", "delivered"), undefined);
  assert.equal(advanceStatus("delivered", "delivered"), undefined);
  assert.equal(advanceStatus("delivered", "failed"), "failed");
  assert.equal(advanceStatus("read", "failed"), undefined, "cannot fail after being read");
  assert.equal(advanceStatus("failed", "read"), undefined);
  assert.equal(advanceStatus("dead", "sent"), undefined);
  assert.equal(advanceStatus("read", "played"), "played");
  assert.equal(advanceStatus("sent", "deleted"), undefined, "unknown statuses are ignored");
});

test("every order of sent/delivered/read ends at read", () => {
  const perms = [
    ["sent", "delivered", "read"],
    ["sent", "read", "delivered"],
    ["delivered", "sent", "read"],
    ["delivered", "read", "sent"],
    ["read", "sent", "delivered"],
    ["read", "delivered", "sent"],
  ];
  for (const order of perms) {
    let s: Parameters<typeof advanceStatus>[0] = "sending";
    for (const e of order) s = advanceStatus(s, e) ?? s;
    assert.equal(s, "read", order.join(","));
  }
});

test("callback data round-trips the outbox id and rejects foreign values", () => {
  assert.equal(outboxIdFromCallback(callbackDataFor(42)), 42);
  for (const v of [undefined, "", "outbox:", "outbox:-1", "outbox:1.5", "0fS5cePMok", "outbox:abc"]) {
    assert.equal(outboxIdFromCallback(v), undefined, String(v));
  }
});

test("splitText keeps parts within the limit, cuts at boundaries, loses nothing", () => {
  assert.deepEqual(splitText("curto", 4096), ["curto"]);
  const paragraphs = `${"a".repeat(3000)}\n\n${"b".repeat(3000)}`;
  assert.deepEqual(splitText(paragraphs, 4096), ["a".repeat(3000), "b".repeat(3000)]);
  const sentences = Array.from({ length: 200 }, (_, i) => `Frase número ${i}.`).join(" ");
  const parts = splitText(sentences, 500);
  assert.ok(parts.every((p) => p.length <= 500 && p.endsWith(".")));
  assert.equal(parts.join(" "), sentences);
  const emoji = "😀".repeat(3000); // 6000 UTF-16 units, no spaces
  const cut = splitText(emoji, 4096);
  assert.ok(
    cut.every((p) => p.length <= 4096 && !/[\ud800-\udbff]$/.test(p)),
    "no split surrogate pair",
  );
  assert.equal(cut.join(""), emoji);
});

test("token bucket: a full bucket allows the burst, then one per interval", () => {
  let bucket: ReturnType<typeof takeToken>["bucket"] | undefined;
  const t = 1_000_000;
  for (let i = 0; i < 10; i++) {
    const r = takeToken(bucket, t, 10, 6000);
    assert.equal(r.ok, true, `burst ${i}`);
    bucket = r.bucket;
  }
  const denied = takeToken(bucket, t, 10, 6000);
  assert.deepEqual([denied.ok, denied.ok ? 0 : denied.waitMs], [false, 6000]);
  assert.equal(takeToken(bucket, t + 5999, 10, 6000).ok, false);
  assert.equal(takeToken(bucket, t + 6000, 10, 6000).ok, true);
  assert.equal(takeToken(undefined, t, 80, 1000 / 80).ok, true, "a new bucket starts full");
});

test("retry delays grow, stay capped and jittered; pair limit follows 4^X seconds", () => {
  assert.equal(retryDelay(1, 1000, 60000, 0), 500);
  assert.equal(retryDelay(1, 1000, 60000, 1), 1000);
  assert.equal(retryDelay(4, 1000, 60000, 1), 8000);
  assert.equal(retryDelay(30, 1000, 60000, 1), 60000);
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => pairLimitDelay(n, 3_600_000)),
    [1000, 4000, 16000, 64000],
  );
});

test("send failures are classified by Meta's code first, then HTTP status", () => {
  const e = (status: number, code?: number) => new GraphApiError(status, code, "x");
  assert.equal(classifySendFailure(e(400, 130429)), "retry");
  assert.equal(classifySendFailure(e(400, 131056)), "pair_limit");
  assert.equal(classifySendFailure(e(500, 131000)), "retry");
  assert.equal(classifySendFailure(e(503, 131016)), "retry");
  assert.equal(classifySendFailure(e(400, 4)), "retry");
  assert.equal(classifySendFailure(e(401, 190)), "retry", "an expired token must not lose replies");
  assert.equal(classifySendFailure(e(400, 131026)), "permanent");
  assert.equal(classifySendFailure(e(400, 131047)), "permanent");
  assert.equal(classifySendFailure(e(404, 132001)), "permanent");
  assert.equal(classifySendFailure(e(400, 132015)), "permanent");
  assert.equal(classifySendFailure(e(400, 100)), "permanent");
  assert.equal(classifySendFailure(e(502)), "unconfirmed", "a 5xx page without Meta's error: maybe taken");
  assert.equal(classifySendFailure(e(500)), "unconfirmed");
  assert.equal(classifySendFailure(e(429)), "retry");
  assert.equal(classifySendFailure(e(400)), "permanent");
  assert.equal(
    classifySendFailure(e(200)),
    "unconfirmed",
    "2xx with a body we cannot read may have been sent",
  );
  assert.equal(classifySendFailure(new GraphNetworkError("refused", false)), "retry");
  assert.equal(classifySendFailure(new GraphNetworkError("timeout", true)), "unconfirmed");
});

test("the per-number bucket never lets more than the rate through in any sliding second", async () => {
  const { numberBucket } = await import("../../src/outbound/sendOutboxMessage.ts");
  for (const rate of [80, 1000, 5]) {
    const b = numberBucket("1", rate);
    let bucket: ReturnType<typeof takeToken>["bucket"] | undefined;
    const sent: number[] = [];
    // Ask every millisecond for 5 seconds, as a backlog would.
    for (let t = 0; t < 5000; t++) {
      const r = takeToken(bucket, t, b.capacity, b.intervalMs);
      bucket = r.bucket;
      if (r.ok) sent.push(t);
    }
    let peak = 0;
    for (let i = 0, j = 0; i < sent.length; i++) {
      while ((sent[i] ?? 0) - (sent[j] ?? 0) >= 1000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    assert.ok(peak <= rate, `rate ${rate}: peak ${peak} in a second`);
    assert.ok(sent.length >= rate * 5 * 0.8, `rate ${rate}: sustained ${sent.length / 5}/s`);
  }
});

test("an error code means the same by send answer or by failed status webhook", () => {
  assert.equal(classifyErrorCode(131000), "retry", "something went wrong on Meta's side");
  assert.equal(classifyErrorCode(131016), "retry", "service unavailable");
  assert.equal(classifyErrorCode(131047), "permanent", "window closed: the fallback template, not a resend");
  assert.equal(classifyErrorCode(131026), "permanent", "undeliverable");
  assert.equal(classifyErrorCode(131056), "pair_limit");
  assert.equal(classifyErrorCode(999999), undefined, "an unknown code is left to the HTTP status");
  assert.equal(classifyErrorCode(undefined), undefined);
});

test("a reply is given up by time (SEND_RETRY_FOR_MS), or by an attempt cap only when one is set", () => {
  const created = new Date("2026-12-07T10:00:00Z");
  const config = { SEND_RETRY_FOR_MS: 6 * 3600_000, SEND_MAX_ATTEMPTS: undefined };
  const at = (h: number) => new Date(created.getTime() + h * 3600_000);
  assert.equal(
    givenUp({ attempts: 40, created_at: created }, config, at(5.9)),
    false,
    "40 tries in an outage",
  );
  assert.equal(givenUp({ attempts: 41, created_at: created }, config, at(6)), true);
  assert.equal(givenUp({ attempts: 0, created_at: created }, config, at(7)), false, "never tried: try once");
  assert.equal(
    givenUp({ attempts: 3, created_at: created }, { ...config, SEND_MAX_ATTEMPTS: 3 }, at(0.1)),
    true,
  );
});

test("failure codes that say something about the customer are put in words; the rest say nothing", () => {
  assert.match(deliveryProblemOf(131026) ?? "", /not be on WhatsApp/);
  assert.match(deliveryProblemOf(131050) ?? "", /stopped marketing/);
  assert.equal(deliveryProblemOf(131000), undefined, "about the message, not the customer");
  assert.equal(deliveryProblemOf(undefined), undefined);
});
