import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { messagesEnvelope } from "../../src/stories/customerWebhook.ts";
import { parseWebhook } from "../../src/webhook/parseWebhook.ts";

const NOW = new Date("2026-11-23T12:00:00Z");
const fixture = (file: string, name: string): unknown =>
  JSON.parse(
    readFileSync(new URL(`../../../shared/fixtures/meta-webhooks/${file}`, import.meta.url), "utf8"),
  )[name];

test("a text message: sender, BSUID, name, text and Meta's timestamp", () => {
  const parsed = parseWebhook(fixture("message.json", "text"), NOW);
  assert.equal(parsed.recognised, true);
  assert.equal(parsed.messages.length, 1);
  const m = parsed.messages[0];
  assert.equal(m?.waMessageId, "wamid.xyzxyz");
  assert.equal(m?.phoneNumberId, "1122334455667");
  assert.equal(m?.customerWaId, "972987654321");
  assert.equal(m?.customerUserId, "US.13491208655302741918");
  assert.equal(
    m?.customerKey,
    "US.13491208655302741918",
    "keyed by the business-scoped user id when present",
  );
  assert.equal(m?.customerName, "Test Name");
  assert.equal(m?.text, "Body Text");
  assert.equal(m?.sentAt.toISOString(), "2023-10-11T16:53:43.000Z");
});

test("button replies, list replies and captions become text", () => {
  const button = parseWebhook(fixture("callback_button.json", "button"), NOW).messages[0];
  assert.equal(button?.type, "interactive");
  assert.ok(button?.text && button.text.length > 0);
  const list = parseWebhook(fixture("callback_selection.json", "callback"), NOW).messages[0];
  assert.ok(list?.text && list.text.length > 0);
});

test("a batch: every entry and change is read (nothing after the first is dropped)", () => {
  const text = fixture("message.json", "text") as { entry: { changes: unknown[] }[] };
  const status = fixture("message_status.json", "delivered") as { entry: { changes: unknown[] }[] };
  const template = fixture("template_status_update.json", "approved") as { entry: unknown[] };
  const batch = {
    object: "whatsapp_business_account",
    entry: [
      { id: "1", changes: [...(text.entry[0]?.changes ?? []), ...(status.entry[0]?.changes ?? [])] },
      ...template.entry,
    ],
  };
  const parsed = parseWebhook(batch, NOW);
  assert.equal(parsed.messages.length, 1);
  assert.equal(parsed.statuses.length, 1);
  assert.deepEqual(
    parsed.changes.map((c) => c.kind),
    ["template"],
  );
});

test("statuses keep Meta's errors and our callback data", () => {
  const failed = parseWebhook(fixture("message_status.json", "failed"), NOW).statuses[0];
  assert.equal(failed?.status, "failed");
  assert.ok(Array.isArray(failed?.errors) && failed.errors.length > 0);
  const tracked = parseWebhook(fixture("message_status.json", "with_tracker"), NOW).statuses[0];
  assert.equal(typeof tracked?.callbackData, "string");
});

test("a system message without contacts still has a customer", () => {
  const m = parseWebhook(fixture("system.json", "phone_number_change"), NOW).messages[0];
  assert.equal(m?.type, "system");
  assert.ok(m?.customerKey);
});

test("a username-only sender (no phone) is keyed by the business-scoped id", () => {
  const parsed = parseWebhook(
    {
      object: "whatsapp_business_account",
      entry: [
        {
          id: "1",
          changes: [
            {
              field: "messages",
              value: {
                metadata: { phone_number_id: "9" },
                contacts: [{ profile: { name: "Ana" }, user_id: "BR.123" }],
                messages: [
                  {
                    from_user_id: "BR.123",
                    id: "wamid.u",
                    timestamp: "1767225600",
                    type: "text",
                    text: { body: "oi" },
                  },
                ],
              },
            },
          ],
        },
      ],
    },
    NOW,
  );
  assert.equal(parsed.messages[0]?.customerKey, "BR.123");
  assert.equal(parsed.messages[0]?.customerWaId, undefined);
});

test("unknown shapes are kept as unrecognised, never thrown", () => {
  for (const body of [
    null,
    42,
    "x",
    [],
    {},
    { object: "page", entry: [] },
    { object: "whatsapp_business_account" },
  ]) {
    const parsed = parseWebhook(body, NOW);
    assert.equal(parsed.recognised, false, JSON.stringify(body));
    assert.equal(parsed.changes[0]?.kind, "unrecognised");
  }
  const halfBroken = parseWebhook(
    {
      object: "whatsapp_business_account",
      entry: [
        {
          changes: [
            "nonsense",
            {
              field: "messages",
              value: { metadata: { phone_number_id: "1" }, messages: [{ id: 5 }], statuses: [{}] },
            },
            { field: "messages", value: { no: "metadata" } },
            { field: "brand_new_field", value: { x: 1 } },
          ],
        },
      ],
    },
    NOW,
  );
  assert.equal(halfBroken.recognised, true);
  assert.deepEqual(
    halfBroken.changes.map((c) => c.kind),
    ["unrecognised", "unrecognised", "unrecognised", "unrecognised", "other"],
  );
});

test("a missing or absurd timestamp falls back to the receipt time", () => {
  const body = fixture("message.json", "text") as {
    entry: { changes: { value: { messages: { timestamp?: string }[] } }[] }[];
  };
  const msg = body.entry[0]?.changes[0]?.value.messages[0];
  assert.ok(msg);
  msg.timestamp = "not-a-number";
  assert.equal(parseWebhook(body, NOW).messages[0]?.sentAt.toISOString(), NOW.toISOString());
});

test("identifiers too long to index are not taken as messages: the change is unrecognised (found by the fuzz suite)", () => {
  const body = (phoneNumberId: string, from: string) =>
    messagesEnvelope(phoneNumberId, "1", {
      contacts: [{ profile: { name: "T" }, wa_id: from }],
      messages: [{ from, id: "wamid.x1", timestamp: "1697043473", type: "text", text: { body: "oi" } }],
    });
  const now = new Date();
  const huge = parseWebhook(body("x".repeat(5000), "5581999990001"), now);
  assert.equal(huge.messages.length, 0);
  assert.equal(huge.changes[0]?.kind, "unrecognised");
  const longSender = parseWebhook(body("106540352242922", "9".repeat(5000)), now);
  assert.equal(longSender.messages.length, 0);
  assert.equal(parseWebhook(body("106540352242922", "5581999990001"), now).messages.length, 1);
});
