import { isMap, type LineCounter, type parseDocument } from "yaml";
import { type AgentDefinition, agentDefinitionSchema } from "../agents/runtime/agentDefinition.ts";
import { readYaml } from "./readYaml.ts";

/** Pure: YAML text → agent definition, or problems with the line of the offending key. */
export function parseAgent(
  text: string,
  file: string,
): { ok: true; definition: AgentDefinition } | { ok: false; problems: string[] } {
  const read = readYaml(text, file);
  if (!read.ok) return read;
  const { doc, lineCounter } = read;
  const parsed = agentDefinitionSchema.safeParse(doc.toJS());
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

export function lineOf(doc: ReturnType<typeof parseDocument>, path: PropertyKey[], lc: LineCounter): number {
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
