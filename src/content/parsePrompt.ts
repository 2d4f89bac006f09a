import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";

const frontMatterSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_.]*$/, "lowercase letters, digits, _ and ."),
  description: z.string().optional(),
  variables: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)).default([]),
  model: z
    .strictObject({
      temperature: z.number().min(0).max(2).optional(),
      max_tokens: z.number().int().positive().optional(),
    })
    .optional(),
});

export type Prompt = z.infer<typeof frontMatterSchema> & { body: string; file: string };

const PLACEHOLDER = /\{\{\s*([^{}\s]*)\s*\}\}/g;

/**
 * A prompt file: YAML front matter between `---` lines (id, the variables it uses, optional model
 * settings), then the text with `{{variable}}` placeholders — nothing else, no logic. Pure; every
 * problem comes back as `file:line: message`, including a placeholder that is not declared and a
 * declared variable the text never uses.
 */
export function parsePrompt(
  text: string,
  file: string,
): { ok: true; prompt: Prompt } | { ok: false; problems: string[] } {
  const lines = text.split("\n");
  if (lines[0]?.trim() !== "---")
    return { ok: false, problems: [`${file}:1: a prompt starts with a --- front matter line`] };
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === "---");
  if (end < 0) return { ok: false, problems: [`${file}:1: the front matter is not closed with ---`] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(lines.slice(1, end).join("\n"), { lineCounter, prettyErrors: false });
  const problems: string[] = doc.errors.map(
    (e) => `${file}:${lineCounter.linePos(e.pos[0]).line + 1}: ${e.message.split("\n")[0]}`,
  );
  if (problems.length > 0) return { ok: false, problems };
  const parsed = frontMatterSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const node = issue.path.length > 0 ? doc.getIn(issue.path.slice(0, 1), true) : undefined;
        const offset =
          node &&
          typeof node === "object" &&
          "range" in node &&
          Array.isArray(node.range) &&
          typeof node.range[0] === "number"
            ? lineCounter.linePos(node.range[0]).line + 1
            : 1;
        return `${file}:${offset}: ${issue.path.join(".") || "front matter"}: ${issue.message}`;
      }),
    };
  }
  const bodyLines = lines.slice(end + 1);
  const body = bodyLines.join("\n").trim();
  if (!body) problems.push(`${file}:${end + 2}: the prompt text is empty`);
  const declared = new Set(parsed.data.variables);
  const used = new Set<string>();
  bodyLines.forEach((line, i) => {
    for (const m of line.matchAll(PLACEHOLDER)) {
      const name = m[1] ?? "";
      used.add(name);
      if (!declared.has(name)) {
        problems.push(
          `${file}:${end + 2 + i}: {{${name}}} is not one of the declared variables (${[...declared].join(", ") || "none"})`,
        );
      }
    }
    if (/\{\{(?![^{}]*\}\})/.test(line)) problems.push(`${file}:${end + 2 + i}: unclosed {{`);
  });
  for (const v of declared)
    if (!used.has(v)) problems.push(`${file}:1: variable "${v}" is declared but the text never uses it`);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, prompt: { ...parsed.data, body, file } };
}

/** Logic-less rendering; a missing value is a programming error, caught by tests and at start-up. */
export function renderPrompt(prompt: Prompt, values: Record<string, string>): string {
  return prompt.body.replace(PLACEHOLDER, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`prompt ${prompt.id}: no value for {{${name}}}`);
    return value;
  });
}
