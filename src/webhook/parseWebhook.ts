import type { z } from "zod";
import {
  changeSchema,
  type contactSchema,
  envelopeSchema,
  messageSchema,
  messagesValueSchema,
  statusSchema,
} from "./webhookSchema.ts";

export type InboundMessage = {
  waMessageId: string;
  phoneNumberId: string;
  /** Business-scoped user id when present, else the phone number: the conversation key. */
  customerKey: string;
  customerWaId: string | undefined;
  customerUserId: string | undefined;
  customerName: string | undefined;
  type: string;
  /** Human-readable text of the message (body, caption, button or list title), if any. */
  text: string | undefined;
  sentAt: Date;
  body: unknown;
};

export type StatusEvent = {
  wamid: string;
  status: string;
  statusAt: Date;
  recipient: string | undefined;
  callbackData: string | undefined;
  errors: unknown[] | undefined;
  body: unknown;
};

export type ChangeKind =
  | "template"
  | "account"
  | "call"
  | "user_preferences"
  | "echo"
  | "error"
  | "other"
  | "unrecognised";

export type OtherChange = { field: string; kind: ChangeKind; value: unknown; reason?: string };

export type ParsedWebhook = {
  /** False when the body is not a WhatsApp Business Account envelope at all. */
  recognised: boolean;
  messages: InboundMessage[];
  statuses: StatusEvent[];
  changes: OtherChange[];
};

const TEMPLATE_FIELDS = new Set([
  "message_template_status_update",
  "message_template_quality_update",
  "message_template_components_update",
  "template_category_update",
]);
const ACCOUNT_FIELDS = new Set([
  "account_update",
  "account_alerts",
  "account_review_update",
  "business_capability_update",
  "phone_number_quality_update",
  "phone_number_name_update",
  "security",
]);

/**
 * Turns one webhook body into everything it carries: every entry, every change, every message
 * and status (Meta batches up to 1000 updates). Pure; never throws; nothing is dropped — what it
 * cannot interpret comes back as an "unrecognised" change so it can be stored and logged.
 */
export function parseWebhook(json: unknown, now: Date): ParsedWebhook {
  const out: ParsedWebhook = { recognised: true, messages: [], statuses: [], changes: [] };
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success || envelope.data.object !== "whatsapp_business_account") {
    out.recognised = false;
    out.changes.push({
      field: "",
      kind: "unrecognised",
      value: json,
      reason: "not a WhatsApp Business envelope",
    });
    return out;
  }
  for (const entry of envelope.data.entry) {
    for (const rawChange of entry.changes) {
      const change = changeSchema.safeParse(rawChange);
      if (!change.success) {
        out.changes.push({
          field: "",
          kind: "unrecognised",
          value: rawChange,
          reason: "change without field",
        });
        continue;
      }
      parseChange(change.data.field, change.data.value, now, out);
    }
  }
  return out;
}

function parseChange(field: string, value: unknown, now: Date, out: ParsedWebhook): void {
  if (field !== "messages") {
    out.changes.push({ field, kind: kindOfField(field), value });
    return;
  }
  const parsed = messagesValueSchema.safeParse(value);
  if (!parsed.success) {
    out.changes.push({ field, kind: "unrecognised", value, reason: "messages change without metadata" });
    return;
  }
  const { metadata, contacts = [], messages = [], statuses = [], errors } = parsed.data;
  for (const raw of messages) {
    const message = toInboundMessage(raw, metadata.phone_number_id, contacts, now);
    if (message) out.messages.push(message);
    else
      out.changes.push({
        field,
        kind: "unrecognised",
        value: raw,
        reason: "message without id, type or sender",
      });
  }
  for (const raw of statuses) {
    const status = statusSchema.safeParse(raw);
    if (!status.success) {
      out.changes.push({ field, kind: "unrecognised", value: raw, reason: "status without id or status" });
      continue;
    }
    const s = status.data;
    out.statuses.push({
      wamid: s.id,
      status: s.status,
      statusAt: toDate(s.timestamp, now),
      recipient: s.recipient_id,
      callbackData: s.biz_opaque_callback_data,
      errors: s.errors,
      body: raw,
    });
  }
  if (errors && errors.length > 0) out.changes.push({ field, kind: "error", value: { metadata, errors } });
}

function toInboundMessage(
  raw: unknown,
  phoneNumberId: string,
  contacts: z.infer<typeof contactSchema>[],
  now: Date,
): InboundMessage | undefined {
  const parsed = messageSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const m = parsed.data;
  // A batch may hold several customers; the contact is the one whose ids match the sender.
  const contact =
    contacts.find(
      (c) => (m.from && c.wa_id === m.from) || (m.from_user_id && c.user_id === m.from_user_id),
    ) ?? (contacts.length === 1 ? contacts[0] : undefined);
  const waId = m.from ?? contact?.wa_id;
  const userId = m.from_user_id ?? contact?.user_id;
  const customerKey = userId || waId;
  if (!customerKey) return undefined;
  return {
    waMessageId: m.id,
    phoneNumberId,
    customerKey,
    customerWaId: waId || undefined,
    customerUserId: userId || undefined,
    customerName: contact?.profile?.name,
    type: m.type,
    text:
      m.text?.body ??
      m.button?.text ??
      m.interactive?.button_reply?.title ??
      m.interactive?.list_reply?.title ??
      m.image?.caption ??
      m.document?.caption ??
      m.video?.caption,
    sentAt: toDate(m.timestamp, now),
    body: raw,
  };
}

function kindOfField(field: string): ChangeKind {
  if (TEMPLATE_FIELDS.has(field)) return "template";
  if (ACCOUNT_FIELDS.has(field)) return "account";
  if (field === "calls") return "call";
  if (field === "user_preferences") return "user_preferences";
  if (field === "smb_message_echoes") return "echo";
  return "other";
}

/** Meta sends unix seconds as a string; a missing or absurd value falls back to receipt time. */
function toDate(seconds: string | undefined, now: Date): Date {
  const n = Number(seconds);
  if (!seconds || !Number.isFinite(n) || n <= 0 || n > 1e11) return now;
  return new Date(n * 1000);
}
