import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { type KnowledgePage, parseKnowledgePage } from "./parseKnowledgePage.ts";
import { parseSynonyms } from "./parseSynonyms.ts";

export type Knowledge = {
  pages: KnowledgePage[];
  /** Synonym groups, lowercase (see parseSynonyms). */
  synonyms: string[][];
  /** sha256 over every page and the synonyms: the index is rebuilt only when it changes. */
  hash: string;
};

export class KnowledgeError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid knowledge base:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

export const SYNONYMS_FILE = "synonyms.yaml";

/**
 * Reads a knowledge folder: every `*.md` that starts with front matter is a page (README.md and
 * files without front matter are skipped), plus an optional `synonyms.yaml` (or `synonymsFile`,
 * e.g. the project's synonyms over another company's pages). Throws KnowledgeError with every
 * problem as `file:line: message`, like the other operator content.
 */
export async function loadKnowledge(
  dir: string,
  options: { synonymsFile?: string } = {},
): Promise<Knowledge> {
  const shown = (p: string) => relative(process.cwd(), p) || p;
  const problems: string[] = [];
  const pages: KnowledgePage[] = [];
  const entries = await readdir(dir).catch((err: unknown) => {
    throw new KnowledgeError([
      `${shown(dir)}: cannot read the knowledge folder: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  });
  const names = entries.filter((f) => f.endsWith(".md") && f.toLowerCase() !== "readme.md").sort();
  for (const name of names) {
    const path = join(dir, name);
    const result = parseKnowledgePage(await readFile(path, "utf8"), shown(path), name.slice(0, -3));
    if ("skip" in result) continue;
    if (result.ok) pages.push(result.page);
    else problems.push(...result.problems);
  }
  if (pages.length === 0 && problems.length === 0)
    problems.push(`${shown(dir)}: no knowledge pages (*.md with front matter)`);
  const synonymsPath = options.synonymsFile ?? join(dir, SYNONYMS_FILE);
  const synonymsText = await readFile(synonymsPath, "utf8").catch((err: unknown) => {
    // Only an absent default file is fine; an explicitly named one must exist.
    if (!options.synonymsFile && err instanceof Error && "code" in err && err.code === "ENOENT")
      return undefined;
    problems.push(
      `${shown(synonymsPath)}:1: cannot read: ${err instanceof Error ? err.message : String(err)}`,
    );
    return undefined;
  });
  let synonyms: string[][] = [];
  if (synonymsText !== undefined) {
    const parsed = parseSynonyms(synonymsText, shown(synonymsPath));
    if (parsed.ok) synonyms = parsed.groups;
    else problems.push(...parsed.problems);
  }
  if (problems.length > 0) throw new KnowledgeError(problems);
  const hash = createHash("sha256");
  for (const p of pages) hash.update(`${p.id}\0${p.title}\0${p.updated}\0${p.body}\0`);
  hash.update(JSON.stringify(synonyms));
  return { pages, synonyms, hash: hash.digest("hex") };
}
