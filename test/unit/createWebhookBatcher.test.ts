import assert from "node:assert/strict";
import { test } from "node:test";
import { createWebhookBatcher } from "../../src/inbox/createWebhookBatcher.ts";
import type { StoredWebhook, WebhookInput } from "../../src/inbox/storeWebhook.ts";

const input = (n: number): WebhookInput => ({
  rawBody: Buffer.from(String(n)),
  parsed: { recognised: true, messages: [], statuses: [], changes: [] },
});
const stored = (i: WebhookInput): StoredWebhook => ({
  eventId: Number(i.rawBody.toString()),
  kinds: [],
  newMessages: 0,
  duplicateMessages: 0,
  newStatuses: 0,
  changes: 0,
});

test("webhooks arriving while a batch is written go together in the next one; each gets its own result", async () => {
  const batches: number[][] = [];
  const store = createWebhookBatcher(async (inputs) => {
    batches.push(inputs.map((i) => Number(i.rawBody.toString())));
    await new Promise((r) => setTimeout(r, 20));
    return inputs.map(stored);
  }, 3);
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => store(input(n))));
  assert.deepEqual(
    results.map((r) => r.eventId),
    [1, 2, 3, 4, 5, 6],
  );
  assert.deepEqual(batches, [[1], [2, 3, 4], [5, 6]], "first alone (no waiting), then batches of at most 3");
});

test("a failed batch is retried one webhook at a time, so only the bad one fails", async () => {
  const store = createWebhookBatcher(async (inputs) => {
    if (inputs.some((i) => i.rawBody.toString() === "13")) throw new Error("bad webhook");
    await new Promise((r) => setTimeout(r, 5));
    return inputs.map(stored);
  });
  const outcomes = await Promise.allSettled([10, 11, 12, 13, 14].map((n) => store(input(n))));
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ["fulfilled", "fulfilled", "fulfilled", "rejected", "fulfilled"],
  );
});
