import { createHash, randomBytes } from "node:crypto";

/** What a customer does in one message, as Meta reports it in a `messages` webhook. */
export type CustomerMessage =
  | { type: "text"; text: string }
  | {
      type: "image" | "audio" | "document";
      mediaId: string;
      mimeType: string;
      bytes: Buffer;
      caption?: string;
      filename?: string;
    }
  | { type: "button_reply" | "list_reply"; id: string; title: string; contextWamid: string }
  | { type: "location"; latitude: number; longitude: number; name?: string };

export type WebhookContext = {
  phoneNumberId: string;
  displayPhoneNumber: string;
  waId: string;
  name: string;
};

export function newWamid(): string {
  return `wamid.HBgM${randomBytes(18).toString("base64url")}`;
}

/**
 * A `messages` webhook body shaped like Meta's (see ../shared/docs/whatsapp-cloud-api.md and
 * ../shared/fixtures/meta-webhooks): one entry, one change, the contact and its messages, each
 * with Meta's timestamp in seconds from the story's fake clock.
 */
export function customerWebhook(
  ctx: WebhookContext,
  messages: { message: CustomerMessage; at: Date; wamid: string }[],
) {
  return messagesEnvelope(ctx.phoneNumberId, ctx.displayPhoneNumber, {
    contacts: [{ profile: { name: ctx.name }, wa_id: ctx.waId }],
    messages: messages.map(({ message, at, wamid }) => ({
      from: ctx.waId,
      id: wamid,
      timestamp: String(Math.floor(at.getTime() / 1000)),
      ...body(message),
    })),
  });
}

/** Meta's envelope around one `messages` change (contacts, messages, statuses) for a business number. */
export function messagesEnvelope<T extends object>(
  phoneNumberId: string,
  displayPhoneNumber: string,
  value: T,
) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: displayPhoneNumber, phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

function body(m: CustomerMessage): Record<string, unknown> {
  switch (m.type) {
    case "text":
      return { type: "text", text: { body: m.text } };
    case "image":
    case "audio":
    case "document": {
      const media: Record<string, unknown> = {
        id: m.mediaId,
        mime_type: m.mimeType,
        sha256: createHash("sha256").update(m.bytes).digest("base64"),
      };
      if (m.caption !== undefined && m.type !== "audio") media.caption = m.caption;
      if (m.type === "document") media.filename = m.filename ?? "documento";
      if (m.type === "audio") media.voice = true;
      return { type: m.type, [m.type]: media };
    }
    case "button_reply":
      return {
        context: { id: m.contextWamid },
        type: "interactive",
        interactive: { type: "button_reply", button_reply: { id: m.id, title: m.title } },
      };
    case "list_reply":
      return {
        context: { id: m.contextWamid },
        type: "interactive",
        interactive: { type: "list_reply", list_reply: { id: m.id, title: m.title } },
      };
    case "location":
      return {
        type: "location",
        location: { latitude: m.latitude, longitude: m.longitude, ...(m.name ? { name: m.name } : {}) },
      };
  }
}

/** MIME type Meta would report for a file, from its extension. */
export function mimeTypeOf(path: string): string {
  const ext = path.toLowerCase().split(".").pop() ?? "";
  const types: Record<string, string> = {
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    png: "image/png",
    webp: "image/webp",
    pdf: "application/pdf",
    ogg: "audio/ogg; codecs=opus",
    opus: "audio/ogg; codecs=opus",
    mp3: "audio/mpeg",
    m4a: "audio/mp4",
    aac: "audio/aac",
    amr: "audio/amr",
    txt: "text/plain",
  };
  return types[ext] ?? "application/octet-stream";
}
