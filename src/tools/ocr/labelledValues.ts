import type { BillLine } from "./billText.ts";

/** The shape of a value, so a row of labels can be matched to the row of values below it. */
export type Shape = "id" | "date" | "month" | "money" | "other";
export type Label = { re: RegExp; shape: Shape };
export type Found = { value: string; line: number; how: "same_line" | "below" };

/**
 * Labels of every column a bill prints in a label row, including those this module does not read, so
 * that "the second date label" maps to "the second date value" of the row below.
 */
export const ROW_LABELS: readonly Label[] = [
  { re: /n[ºo°.]*\s*d[ao] instala[cç][aã]o|codigo d[ao] instala[cç][aã]o|unidade consumidora/g, shape: "id" },
  { re: /n[ºo°.]*\s*do cliente|codigo do cliente|conta contrato/g, shape: "id" },
  {
    re: /vencimento|\bvenc\b|leitura anterior|leitura atual|proxima leitura|data de emissao|\bemissao\b/g,
    shape: "date",
  },
  { re: /referencia|conta referente|\bref\b/g, shape: "month" },
  { re: /total a pagar|valor a pagar|valor do documento/g, shape: "money" },
  { re: /\bcpf\b|\bclasse\b|ligacao|\bmedidor\b|nome do cliente|\bcliente\b/g, shape: "other" },
];

/**
 * Every value a label points at: on the same line right after it ("Vencimento: 10/12/2026"), or in
 * the line below when the line holds only labels (column headers of a table-like box).
 */
export function labelledValues(
  lines: readonly BillLine[],
  label: RegExp,
  shape: Shape,
  value: RegExp,
): Found[] {
  const found: Found[] = [];
  lines.forEach((line, i) => {
    for (const m of line.folded.matchAll(new RegExp(label.source, "g"))) {
      const after = line.folded.slice((m.index ?? 0) + m[0].length);
      // Same line: only separators between the label and the value.
      const near = new RegExp(`^[\\s:.;·•\\-–—|()a-z$ºª°]{0,14}?(${value.source})`).exec(after);
      if (near?.[1] && !/[a-z]{4}/.test(after.slice(0, near.index + near[0].length - near[1].length)))
        found.push({ value: near[1], line: i, how: "same_line" });
      else {
        const below = valueBelow(lines, i, m.index ?? 0, shape, value);
        if (below) found.push({ value: below, line: i, how: "below" });
      }
    }
  });
  return found;
}

function valueBelow(
  lines: readonly BillLine[],
  i: number,
  at: number,
  shape: Shape,
  value: RegExp,
): string | undefined {
  const line = lines[i]?.folded ?? "";
  // The label's rank among the labels of the same shape in its row.
  const sameShape = ROW_LABELS.filter((l) => l.shape === shape)
    .flatMap((l) => [...line.matchAll(new RegExp(l.re.source, "g"))].map((m) => m.index ?? 0))
    .sort((a, b) => a - b);
  const rank = Math.max(0, sameShape.filter((p) => p < at).length);
  for (const next of [lines[i + 1], lines[i + 2]]) {
    if (!next) break;
    const values = [...next.folded.matchAll(new RegExp(value.source, "g"))].map((m) => m[0]);
    // A row of values has at least as many values as labels before this one; otherwise look one line further.
    if (values.length > rank) return values[rank];
  }
  return undefined;
}
