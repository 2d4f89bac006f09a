import { LineCounter, parseDocument } from "yaml";

/**
 * Parses operator YAML keeping positions, so later checks can report `file:line`. Syntax errors
 * come back as problems with their line.
 */
export function readYaml(
  text: string,
  file: string,
):
  | { ok: true; doc: ReturnType<typeof parseDocument>; lineCounter: LineCounter }
  | { ok: false; problems: string[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length === 0) return { ok: true, doc, lineCounter };
  return {
    ok: false,
    problems: doc.errors.map(
      (e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split("\n")[0]}`,
    ),
  };
}
