import assert from "node:assert/strict";
import { type CustomerMessage, customerWebhook, newWamid } from "../../src/stories/customerWebhook.ts";
import type { FakeGraphApi } from "./fakeGraphApi.ts";
import { type TestService, waitFor } from "./startTestService.ts";
import { TEST_PHONE_NUMBER_ID } from "./webhookPayloads.ts";

/** Posts one customer message (text, image, document, voice note…) as Meta's signed webhook. */
export async function sendCustomerMessage(svc: TestService, waId: string, message: CustomerMessage) {
  const body = customerWebhook(
    { phoneNumberId: TEST_PHONE_NUMBER_ID, displayPhoneNumber: "15550783881", waId, name: "Cliente" },
    [{ message, at: new Date(), wamid: newWamid() }],
  );
  assert.equal((await svc.post(body)).status, 200);
}

/** What the customer read so far from the fake Graph API: texts and interactive bodies, in order. */
export function repliesTo(graph: FakeGraphApi, waId: string): string[] {
  return graph.sent
    .filter((s) => s.body.to === `+${waId}`)
    .map((s) => {
      const { text, interactive, type } = s.body;
      if (text && typeof text === "object" && "body" in text) return String(text.body);
      if (interactive && typeof interactive === "object" && "body" in interactive) {
        const inner = interactive.body;
        return inner && typeof inner === "object" && "text" in inner ? String(inner.text) : "";
      }
      return `[${String(type)}]`;
    });
}

/** Waits until the customer has read at least `count` messages. */
export function waitReplies(graph: FakeGraphApi, waId: string, count: number, timeoutMs = 60_000) {
  return waitFor(
    `${count} replies to ${waId}`,
    async () => {
      const r = repliesTo(graph, waId);
      return r.length >= count ? r : undefined;
    },
    timeoutMs,
  );
}
