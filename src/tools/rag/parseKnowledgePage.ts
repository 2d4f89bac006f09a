import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";

const frontMatterSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and - (kebab-case)"),
  title: z.string().trim().min(1, "the title is empty"),
  // YAML reads an unquoted 2026-10-01 as a string with yaml's default (core) schema.
  updated: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "an ISO date like 2026-10-01"),
});

export type KnowledgePage = { id: string; title: string; updated: string; body: string; file: string };

/**
 * One knowledge page: YAML front matter between `---` lines (id = the file name without .md,
 * title, updated), then the Markdown body. Pure; every problem is `file:line: message`. A file that
 * does not start with `---` is not a page (`skip`), like the README of a knowledge folder.
 */
export function parseKnowledgePage(
  text: string,
  file: string,
  expectedId: string,
): { ok: true; page: KnowledgePage } | { ok: false; problems: string[] } | { skip: true } {
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  if (lines[0]?.trim() !== "---") return { skip: true };
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === "---");
  if (end < 0) return { ok: false, problems: [`${file}:1: the front matter is not closed with ---`] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(lines.slice(1, end).join("\n"), { lineCounter, prettyErrors: false });
  // Front matter starts on line 2 of the file; the LineCounter counts from its own line 1.
  const lineAt = (pos: number) => lineCounter.linePos(pos).line + 1;
  if (doc.errors.length > 0)
    return {
      ok: false,
      problems: doc.errors.map((e) => `${file}:${lineAt(e.pos[0])}: ${e.message.split("\n")[0]}`),
    };
  const parsed = frontMatterSchema.safeParse(doc.toJS());
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // An unknown key has an empty path: point at the key itself.
      const key = issue.path[0] ?? (issue.code === "unrecognized_keys" ? issue.keys[0] : undefined);
      const node = key === undefined ? undefined : doc.getIn([key], true);
      const line =
        node && typeof node === "object" && "range" in node && Array.isArray(node.range)
          ? lineAt(Number(node.range[0]))
          : 1;
      problems.push(`${file}:${line}: ${issue.path.join(".") || "front matter"}: ${issue.message}`);
    }
    return { ok: false, problems };
  }
  const { id, title, updated } = parsed.data;
  if (Number.isNaN(Date.parse(updated)))
    problems.push(`${file}:${lineOfKey(lines, "updated")}: updated: not a real date`);
  if (id !== expectedId)
    problems.push(
      `${file}:${lineOfKey(lines, "id")}: id: "${id}" must equal the file name without .md ("${expectedId}")`,
    );
  const body = lines
    .slice(end + 1)
    .join("\n")
    .trim();
  if (!body) problems.push(`${file}:${end + 2}: the page has no text after the front matter`);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, page: { id, title, updated, body, file } };
}

function lineOfKey(lines: string[], key: string): number {
  const i = lines.findIndex((l) => l.startsWith(`${key}:`));
  return i < 0 ? 1 : i + 1;
}
