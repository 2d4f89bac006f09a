import { z } from "zod";
import { lineOf } from "./parseAgent.ts";
import { readYaml } from "./readYaml.ts";

const templateSchema = z.strictObject({
  /** The name approved in WhatsApp Manager (lowercase, digits, underscores). */
  name: z.string().regex(/^[a-z0-9_]{1,512}$/, "lowercase letters, digits and _ (Meta's rule)"),
  language: z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$/, 'a language code such as "pt_BR"'),
  category: z.enum(["UTILITY", "MARKETING", "AUTHENTICATION"]),
  description: z.string().optional(),
  /** The body as submitted to Meta, with positional placeholders {{1}}, {{2}}, … */
  body: z.string().min(1).max(1024),
  /** The variable that fills each placeholder, in order ({{1}} is the first). */
  parameters: z.array(z.string()).default([]),
  /** Quick-reply buttons of the template, as approved. */
  buttons: z.array(z.string().min(1).max(25)).max(10).default([]),
});

export type Template = z.infer<typeof templateSchema> & { file: string };

/**
 * A template of the registry (`templates/*.yaml`): what was submitted to Meta and which variables
 * fill its placeholders. Pure; problems as `file:line`, including placeholders that do not match
 * the parameter list.
 */
export function parseTemplate(
  text: string,
  file: string,
): { ok: true; template: Template } | { ok: false; problems: string[] } {
  const read = readYaml(text, file);
  if (!read.ok) return read;
  const { doc, lineCounter } = read;
  const parsed = templateSchema.safeParse(doc.toJS());
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues.map(
        (i) => `${file}:${lineOf(doc, i.path, lineCounter)}: ${i.path.join(".") || "template"}: ${i.message}`,
      ),
    };
  const placeholders = [...parsed.data.body.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1]));
  const expected = parsed.data.parameters.map((_, i) => i + 1);
  const distinct = [...new Set(placeholders)].sort((a, b) => a - b);
  if (distinct.join(",") !== expected.join(",")) {
    return {
      ok: false,
      problems: [
        `${file}:${lineOf(doc, ["parameters"], lineCounter)}: the body uses {{${distinct.join("}}, {{") || "none"}}} but ${expected.length} parameter(s) are listed`,
      ],
    };
  }
  return { ok: true, template: { ...parsed.data, file } };
}

/** The body as the customer reads it, parameters filled in. */
export function renderTemplate(template: Template, params: readonly string[]): string {
  return template.body.replace(/\{\{(\d+)\}\}/g, (_m, n: string) => params[Number(n) - 1] ?? "");
}
