import { z } from "zod";
import { mediaReadingSchema } from "../agents/runtime/mediaReading.ts";
import { renderTemplate, type Template } from "../content/parseTemplate.ts";
import { outboundMessageSchema } from "../whatsapp/outboundMessage.ts";

/** How the console draws one message (see docs/console-api.md). Text is data: the page escapes it. */
export type Render =
  | { kind: "text"; text: string }
  | { kind: "buttons"; text: string; buttons: { id: string; title: string }[] }
  | { kind: "button_reply" | "list_reply"; id: string; title: string }
  | { kind: "template"; name: string; language: string; text: string; buttons: string[] }
  | {
      kind: "media";
      mediaType: string;
      caption: string | null;
      filename: string | null;
      mimeType: string | null;
      url: string | null;
      processing: { status: string; reason: string | null; summary: string | null } | null;
    }
  | { kind: "other"; type: string; text: string | null };

// Meta's message object, only the parts the console shows; anything else is "other".
const inboundBody = z.object({
  interactive: z
    .object({
      button_reply: z.object({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.object({ id: z.string(), title: z.string() }).optional(),
    })
    .optional(),
  button: z.object({ text: z.string(), payload: z.string().optional() }).optional(),
  image: z.object({ caption: z.string().optional(), mime_type: z.string().optional() }).optional(),
  document: z
    .object({
      caption: z.string().optional(),
      filename: z.string().optional(),
      mime_type: z.string().optional(),
    })
    .optional(),
  audio: z.object({ mime_type: z.string().optional() }).optional(),
});

export type InboundRow = {
  type: string;
  text: string | null;
  body: unknown;
  media: { id: number; status: string; reason: string | null; result: unknown; has_bytes: boolean } | null;
};

export function renderInbound(row: InboundRow): Render {
  const body = inboundBody.safeParse(row.body);
  const b = body.success ? body.data : {};
  if (row.type === "interactive" && b.interactive?.button_reply)
    return { kind: "button_reply", ...b.interactive.button_reply };
  if (row.type === "interactive" && b.interactive?.list_reply)
    return { kind: "list_reply", ...b.interactive.list_reply };
  if (row.type === "button" && b.button)
    return { kind: "button_reply", id: b.button.payload ?? b.button.text, title: b.button.text };
  if (row.type === "image" || row.type === "document" || row.type === "audio" || row.type === "sticker") {
    const caption =
      row.type === "image" ? b.image?.caption : row.type === "document" ? b.document?.caption : undefined;
    const mime =
      row.type === "image"
        ? b.image?.mime_type
        : row.type === "document"
          ? b.document?.mime_type
          : b.audio?.mime_type;
    return {
      kind: "media",
      mediaType: row.type,
      caption: caption ?? null,
      filename: row.type === "document" ? (b.document?.filename ?? null) : null,
      mimeType: mime ?? null,
      url: row.media?.has_bytes ? `/console/api/media/${row.media.id}` : null,
      processing: row.media
        ? { status: row.media.status, reason: row.media.reason, summary: summarizeReading(row.media.result) }
        : null,
    };
  }
  if (row.type === "text") return { kind: "text", text: row.text ?? "" };
  return { kind: "other", type: row.type, text: row.text };
}

/** One line about what the bill reader or transcriber made of a file. */
export function summarizeReading(result: unknown): string | null {
  const reading = mediaReadingSchema.safeParse(result);
  if (!reading.success) return null;
  const r = reading.data;
  switch (r.kind) {
    case "bill": {
      if (!r.isBill) return "not a bill";
      const shown = ["distributor", "amount_due_brl", "consumption_kwh"].flatMap((f) => {
        const v = r.fields[f];
        return v ? [`${f}: ${Array.isArray(v.value) ? v.value.join("/") : v.value} (${v.confidence})`] : [];
      });
      const problems = r.problems.length > 0 ? ` — ${r.problems.join(", ")}` : "";
      return `${shown.join(", ") || "no key field read"}${problems}`;
    }
    case "transcript":
      return `transcript: ${r.text}`;
    default:
      return `${r.kind}: ${r.reason}`;
  }
}

const templateParams = z.array(
  z.object({ type: z.string(), parameters: z.array(z.object({ text: z.string().optional() })).optional() }),
);

export function renderOutbound(payload: unknown, templates: ReadonlyMap<string, Template>): Render {
  const parsed = outboundMessageSchema.safeParse(payload);
  if (!parsed.success) return { kind: "other", type: "unknown", text: null };
  const m = parsed.data;
  if (m.type === "text") return { kind: "text", text: m.text };
  if (m.type === "buttons") return { kind: "buttons", text: m.text, buttons: m.buttons };
  const components = templateParams.safeParse(m.components);
  const params =
    (components.success ? components.data : [])
      .find((c) => c.type === "body")
      ?.parameters?.map((p) => p.text ?? "") ?? [];
  const template = templates.get(m.name);
  return {
    kind: "template",
    name: m.name,
    language: m.language,
    text: template ? renderTemplate(template, params) : params.join(" · "),
    buttons: template?.buttons ?? [],
  };
}
