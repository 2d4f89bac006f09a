import { z } from "zod";
import { lineOf } from "../../content/parseAgent.ts";
import { readYaml } from "../../content/readYaml.ts";

const synonymsSchema = z.array(
  z
    .array(
      z
        .string()
        .trim()
        .regex(/^[\p{L}\p{N}]+$/u, "one word per entry (letters and digits, no spaces)"),
    )
    .min(2, "a group needs at least two words"),
);

/**
 * The operator's synonym groups (`knowledge/synonyms.yaml`): a list of word lists, each meaning
 * "a customer saying one of these is asking about all of them" (mudar ~ mudança ~ endereço). Pure;
 * problems are `file:line: message`.
 */
export function parseSynonyms(
  text: string,
  file: string,
): { ok: true; groups: string[][] } | { ok: false; problems: string[] } {
  const read = readYaml(text, file);
  if (!read.ok) return read;
  const parsed = synonymsSchema.safeParse(read.doc.toJS() ?? []);
  if (parsed.success) return { ok: true, groups: parsed.data.map((g) => g.map((w) => w.toLowerCase())) };
  return {
    ok: false,
    problems: parsed.error.issues.map(
      (issue) =>
        `${file}:${lineOf(read.doc, issue.path, read.lineCounter)}: ${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`,
    ),
  };
}
