/** About what fits on a phone screen without scrolling much. */
export const PASSAGE_CHARS = 600;

/**
 * A passage cut to a readable WhatsApp size at a sentence (or list item) boundary, never mid-word;
 * "…" marks a cut. Markdown tables become "a: b" lines. Pure.
 */
export function trimPassage(text: string, max = PASSAGE_CHARS): string {
  const clean = tablesToLines(text)
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  if (clean.length <= max) return clean;
  const pieces = clean.match(/[^.!?\n]+(?:[.!?]+|\n+|$)/g) ?? [clean];
  let out = "";
  for (const piece of pieces) {
    if ((out + piece).trimEnd().length > max) break;
    out += piece;
  }
  if (!out.trim()) {
    const cut = clean.slice(0, max);
    out = cut.slice(0, Math.max(cut.lastIndexOf(" "), 1));
  }
  return `${out.trimEnd()} …`;
}

function tablesToLines(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let header: string[] | undefined;
  for (const line of lines) {
    const cells = tableCells(line);
    if (!cells) {
      header = undefined;
      out.push(line);
      continue;
    }
    if (cells.length === 0) continue;
    if (!header) {
      header = cells;
      continue;
    }
    const [first, ...rest] = cells;
    out.push(`- ${first}: ${rest.map((c, i) => `${header?.[i + 1] ?? ""} ${c}`.trim()).join("; ")}`);
  }
  return out.join("\n");
}

/**
 * The cells of a Markdown table row ("| CEMIG | 20% |"), [] for the separator row ("|---|---|"),
 * undefined for a line that is not a table row.
 */
export function tableCells(line: string): string[] | undefined {
  const row = line.trim();
  if (!/^\|.*\|$/.test(row)) return undefined;
  const cells = row
    .replace(/^\||\|$/g, "")
    .split("|")
    .map((c) => c.trim());
  return cells.every((c) => /^:?-{2,}:?$/.test(c)) ? [] : cells;
}
