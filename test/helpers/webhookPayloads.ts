import { messagesEnvelope } from "../../src/stories/customerWebhook.ts";
/** Builders for webhook bodies shaped exactly like Meta's (see ../shared/fixtures/meta-webhooks). */

export const TEST_PHONE_NUMBER_ID = "106540352242922";

let counter = 0;
export function uniqueWamid(prefix = "in"): string {
  counter++;
  return `wamid.${prefix}.${Date.now().toString(36)}.${counter}.${Math.random().toString(36).slice(2, 8)}`;
}

export type TextInput = { from: string; text: string; id?: string; name?: string; timestamp?: number };

export function textWebhook(input: TextInput, phoneNumberId = TEST_PHONE_NUMBER_ID) {
  return messagesWebhook(phoneNumberId, [input]);
}

/** Meta's envelope around one `messages` change for a business phone number. */
function messagesChange<T extends object>(phoneNumberId: string, value: T) {
  return messagesEnvelope(phoneNumberId, "15550783881", value);
}

export function messagesWebhook(phoneNumberId: string, inputs: TextInput[]) {
  return messagesChange(phoneNumberId, {
    contacts: inputs.map((i) => ({ profile: { name: i.name ?? "Cliente Teste" }, wa_id: i.from })),
    messages: inputs.map((i) => ({
      from: i.from,
      id: i.id ?? uniqueWamid(),
      timestamp: String(i.timestamp ?? Math.floor(Date.now() / 1000)),
      type: "text",
      text: { body: i.text },
    })),
  });
}

export function statusWebhook(
  statuses: {
    wamid: string;
    status: string;
    timestamp?: number;
    recipient?: string;
    callback?: string;
    errors?: unknown[];
  }[],
  phoneNumberId = TEST_PHONE_NUMBER_ID,
) {
  return messagesChange(phoneNumberId, {
    statuses: statuses.map((s) => ({
      id: s.wamid,
      status: s.status,
      timestamp: String(s.timestamp ?? Math.floor(Date.now() / 1000)),
      recipient_id: s.recipient ?? "5511999990001",
      ...(s.callback ? { biz_opaque_callback_data: s.callback } : {}),
      ...(s.errors ? { errors: s.errors } : {}),
    })),
  });
}
