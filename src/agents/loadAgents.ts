import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import { type EchoAgentDefinition, echoAgentSchema } from "./echoAgent.ts";

export type LoadedAgent = { definition: EchoAgentDefinition; file: string; hash: string };

export class ContentError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid operator content:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

/** Loads and validates every agent in `dir`; problems are reported together as `file:line: message`. */
export async function loadAgents(dir: string, cwd = process.cwd()): Promise<Map<string, LoadedAgent>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
  const agents = new Map<string, LoadedAgent>();
  const problems: string[] = [];
  for (const name of files) {
    const path = join(dir, name);
    const shown = relative(cwd, path) || path;
    const text = await readFile(path, "utf8");
    const result = parseAgent(text, shown);
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    if (agents.has(result.definition.id)) {
      problems.push(`${shown}:1: agent id "${result.definition.id}" is already defined`);
      continue;
    }
    const hash = createHash("sha256").update(text).digest("hex").slice(0, 12);
    agents.set(result.definition.id, { definition: result.definition, file: shown, hash });
  }
  if (files.length === 0) problems.push(`${relative(cwd, dir) || dir}: no agent definitions found`);
  if (problems.length > 0) throw new ContentError(problems);
  return agents;
}

/** Pure: YAML text → definition, or problems with the line of the offending key. */
export function parseAgent(
  text: string,
  file: string,
): { ok: true; definition: EchoAgentDefinition } | { ok: false; problems: string[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map(
        (e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split("\n")[0]}`,
      ),
    };
  }
  const parsed = echoAgentSchema.safeParse(doc.toJS());
  if (parsed.success) return { ok: true, definition: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const line = lineOf(doc, issue.path, lineCounter);
      const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      return `${file}:${line}: ${where}${issue.message}`;
    }),
  };
}

function lineOf(doc: ReturnType<typeof parseDocument>, path: PropertyKey[], lc: LineCounter): number {
  // Walk down as far as the path exists; report the deepest node found (or the parent map).
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (node && typeof node === "object" && "range" in node && Array.isArray(node.range)) {
      const start = node.range[0];
      if (typeof start === "number") return lc.linePos(start).line;
    }
    if (depth === 0 && isMap(doc.contents)) return 1;
  }
  return 1;
}
