import { z } from "zod";

const textPart = z.object({ text: z.string() });
const graphMessage = z.looseObject({
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
  interactive: z
    .looseObject({
      type: z.string(),
      body: textPart.optional(),
      action: z
        .looseObject({
          buttons: z.array(z.object({ reply: z.object({ title: z.string() }) })).optional(),
          button: z.string().optional(),
          sections: z.array(z.object({ rows: z.array(z.object({ title: z.string() })) })).optional(),
        })
        .optional(),
    })
    .optional(),
  template: z
    .looseObject({
      name: z.string(),
      components: z
        .array(
          z.looseObject({
            type: z.string(),
            parameters: z.array(z.looseObject({ text: z.string().optional() })).optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

/**
 * A bot reply (the Graph API request body the sandbox recorded) as a person reads it on the phone:
 * the text, reply buttons as [Title], list rows as bullets, a template by name with its values.
 * Pure.
 */
export function describeReply(body: unknown): string {
  const parsed = graphMessage.safeParse(body);
  if (!parsed.success) return JSON.stringify(body);
  const m = parsed.data;
  if (m.type === "text" && m.text) return m.text.body;
  if (m.type === "interactive" && m.interactive) {
    const { body: text, action } = m.interactive;
    const buttons = (action?.buttons ?? []).map((b) => `[${b.reply.title}]`).join(" ");
    const rows = (action?.sections ?? []).flatMap((s) => s.rows.map((r) => `  • ${r.title}`));
    const menu = action?.button ? `[${action.button}]` : "";
    return [text?.text ?? "", buttons, menu, ...rows].filter(Boolean).join("\n");
  }
  if (m.type === "template" && m.template) {
    const values = (m.template.components ?? [])
      .flatMap((c) => c.parameters ?? [])
      .flatMap((p) => (p.text ? [p.text] : []));
    return `(template ${m.template.name}${values.length ? `: ${values.join(", ")}` : ""})`;
  }
  return `(${m.type})`;
}
