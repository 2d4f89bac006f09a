import { z } from "zod";
import { LIMITS } from "./constants.ts";

/** What the agent asks to send; stored in the outbox as JSON and turned into a Graph request at send time. */
export const outboundMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("text"),
    text: z.string().min(1).max(LIMITS.textBody),
    previewUrl: z.boolean().optional(),
    replyTo: z.string().optional(),
  }),
  z.object({
    type: z.literal("buttons"),
    text: z.string().min(1).max(LIMITS.interactiveBody),
    buttons: z
      .array(z.object({ id: z.string().min(1).max(256), title: z.string().min(1).max(LIMITS.buttonTitle) }))
      .min(1)
      .max(LIMITS.buttons),
    replyTo: z.string().optional(),
  }),
  z.object({
    type: z.literal("template"),
    name: z.string().min(1),
    language: z.string().min(2),
    components: z.array(z.record(z.string(), z.unknown())).default([]),
  }),
]);
export type OutboundMessage = z.infer<typeof outboundMessageSchema>;

/**
 * Builds the body of `POST /{phone-number-id}/messages`. Phone numbers get a leading "+" (without
 * it Meta prepends the business number's country code).
 */
export function toGraphMessage(recipient: string, message: OutboundMessage, callbackData: string) {
  const base = {
    messaging_product: "whatsapp",
    recipient_type: "individual",
    to: /^\d+$/.test(recipient) ? `+${recipient}` : recipient,
    biz_opaque_callback_data: callbackData,
  };
  switch (message.type) {
    case "text":
      return {
        ...base,
        ...(message.replyTo ? { context: { message_id: message.replyTo } } : {}),
        type: "text",
        text: { body: message.text, preview_url: message.previewUrl ?? false },
      };
    case "buttons":
      return {
        ...base,
        ...(message.replyTo ? { context: { message_id: message.replyTo } } : {}),
        type: "interactive",
        interactive: {
          type: "button",
          body: { text: message.text },
          action: {
            buttons: message.buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: b.title } })),
          },
        },
      };
    case "template":
      return {
        ...base,
        type: "template",
        template: {
          name: message.name,
          language: { code: message.language },
          components: message.components,
        },
      };
  }
}
