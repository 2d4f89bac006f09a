import assert from "node:assert/strict";
import { test } from "node:test";
import { isQuiet, nextAllowedTime } from "../../src/followups/quietHours.ts";
import { decideSendPolicy } from "../../src/outbound/decideSendPolicy.ts";
import type { OutboundMessage } from "../../src/whatsapp/outboundMessage.ts";

const text: OutboundMessage = { type: "text", text: "Quanto vem a sua conta?" };
const template: OutboundMessage = {
  type: "template",
  name: "lembrete_conta_de_luz",
  language: "pt_BR",
  components: [{ type: "body", parameters: [{ type: "text", text: "Ana" }] }],
};
const now = new Date("2026-01-06T15:00:00Z");
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

test("inside the 24-hour window free text goes out; outside it becomes the fallback template or is dropped", () => {
  const base = { message: text, proactive: false, fallback: template, optedOut: false, now };
  assert.deepEqual(decideSendPolicy({ ...base, lastInboundAt: hoursAgo(23.9) }), {
    kind: "send",
    message: text,
    converted: false,
  });
  assert.deepEqual(decideSendPolicy({ ...base, lastInboundAt: hoursAgo(24.1) }), {
    kind: "send",
    message: template,
    converted: true,
  });
  assert.deepEqual(decideSendPolicy({ ...base, fallback: undefined, lastInboundAt: hoursAgo(30) }), {
    kind: "drop",
    reason: "outside the 24-hour window and no template for this message",
  });
  assert.deepEqual(
    decideSendPolicy({ ...base, lastInboundAt: null }),
    { kind: "send", message: template, converted: true },
    "a contact who never wrote: only a template",
  );
  assert.equal(decideSendPolicy({ ...base, message: template, lastInboundAt: hoursAgo(100) }).kind, "send");
});

test("nothing proactive to an opted-out contact; a reply to their own message still goes", () => {
  const base = { fallback: undefined, lastInboundAt: hoursAgo(1), optedOut: true, now };
  assert.equal(decideSendPolicy({ ...base, message: template, proactive: true }).kind, "drop");
  assert.equal(decideSendPolicy({ ...base, message: text, proactive: false }).kind, "send");
  assert.equal(
    decideSendPolicy({
      ...base,
      message: text,
      proactive: false,
      fallback: template,
      lastInboundAt: hoursAgo(30),
    }).kind,
    "drop",
    "no template to an opted-out contact outside the window",
  );
});

test("quiet hours wrap midnight in São Paulo time; the next allowed time is 08:00", () => {
  const quiet = { from: "21:00", to: "08:00", time_zone: "America/Sao_Paulo" };
  assert.equal(isQuiet(new Date("2026-01-06T23:59:00Z"), quiet), false, "20:59 local");
  assert.equal(isQuiet(new Date("2026-01-06T23:30:00Z"), quiet), false, "20:30 local");
  assert.equal(isQuiet(new Date("2026-01-07T00:30:00Z"), quiet), true, "21:30 local");
  assert.equal(isQuiet(new Date("2026-01-07T10:59:00Z"), quiet), true, "07:59 local");
  assert.equal(isQuiet(new Date("2026-01-07T11:00:00Z"), quiet), false, "08:00 local");
  assert.equal(
    nextAllowedTime(new Date("2026-01-07T01:30:00Z"), quiet).toISOString(),
    "2026-01-07T11:00:00.000Z",
  );
  const day = new Date("2026-01-07T15:00:00Z");
  assert.equal(nextAllowedTime(day, quiet), day, "outside quiet hours: now");
});
