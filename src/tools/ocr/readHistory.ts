import type { BillLine } from "./billText.ts";

const MONTHS = ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"];
const MONTH_TOKEN = /\b(jan|fev|mar|abr|mai|jun|jul|ago|set|out|nov|dez)\s?\/?\s?(\d{2})\b/g;
/** A whole kWh figure ("2.349", "399"), not a decimal ("13,3") nor part of a date. */
const KWH = /(?<![\d,./])(\d{1,2}\.\d{3}|\d{1,5})(?![\d,/]|\.\d)/g;

export type History = { values: number[]; lastMonth?: string };

/**
 * The 12-month consumption history, oldest first, from whichever of the layouts' shapes is found: a
 * month list ("SET/25 399 13,3"), a row of months over a row of values, or a value above each month
 * (a bar chart's labels as a PDF text layer gives them). The months must follow each other.
 */
export function readHistory(lines: readonly BillLine[]): History | undefined {
  const tries = [monthThenValue(lines), monthRowThenValueRow(lines), valueThenMonth(lines)];
  for (const t of tries) {
    if (t.length !== 12) continue;
    const months = t.map((x) => x.month);
    const consecutive = months.every((m, i) => i === 0 || m === ((months[i - 1] ?? 0) + 1) % 12);
    if (!consecutive) continue;
    const last = t[11];
    return {
      values: t.map((x) => x.value),
      lastMonth: last ? `20${last.year}-${String(last.month + 1).padStart(2, "0")}` : undefined,
    };
  }
  return undefined;
}

type Point = { month: number; year: string; value: number };
const kwh = (s: string) => Number(s.replace(/\./g, ""));

function monthThenValue(lines: readonly BillLine[]): Point[] {
  const out: Point[] = [];
  for (const l of lines)
    for (const m of l.folded.matchAll(MONTH_TOKEN)) {
      const rest = l.folded.slice((m.index ?? 0) + m[0].length);
      const v = /^\s+(\d{1,2}\.\d{3}|\d{1,5})(?![\d,/]|\.\d)/.exec(rest);
      if (v?.[1]) out.push({ month: MONTHS.indexOf(m[1] ?? ""), year: m[2] ?? "", value: kwh(v[1]) });
    }
  return out;
}

function monthRowThenValueRow(lines: readonly BillLine[]): Point[] {
  for (let i = 0; i + 1 < lines.length; i++) {
    const months = [...(lines[i]?.folded ?? "").matchAll(MONTH_TOKEN)];
    // OCR may garble a month or two of the header row; the last one read dates the row.
    const last = months.at(-1);
    if (months.length < 8 || !last) continue;
    for (const next of lines.slice(i + 1, i + 3)) {
      const values = [...next.folded.matchAll(KWH)].map((m) => kwh(m[1] ?? ""));
      if (values.length < 12) continue;
      const lastMonth = MONTHS.indexOf(last[1] ?? "");
      const lastYear = Number(last[2]);
      return values.slice(-12).map((value, k) => {
        const back = lastMonth - (11 - k);
        return {
          month: (back + 12) % 12,
          year: String(back < 0 ? lastYear - 1 : lastYear).padStart(2, "0"),
          value,
        };
      });
    }
  }
  return [];
}

function valueThenMonth(lines: readonly BillLine[]): Point[] {
  const out: Point[] = [];
  lines.forEach((l, i) => {
    const m = /^(jan|fev|mar|abr|mai|jun|jul|ago|set|out|nov|dez)\s?\/\s?(\d{2})$/.exec(l.folded);
    const v = /^(\d{1,2}\.\d{3}|\d{1,5})$/.exec(lines[i - 1]?.folded ?? "");
    if (m && v?.[1]) out.push({ month: MONTHS.indexOf(m[1] ?? ""), year: m[2] ?? "", value: kwh(v[1]) });
  });
  return out;
}
