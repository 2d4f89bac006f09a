/** OCR text as lines, each also folded (lowercase, no accents) for label matching. */
export type BillLine = { raw: string; folded: string };

export function foldText(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

export function billLines(text: string): BillLine[] {
  return text
    .replace(/\r/g, "")
    .split("\n")
    .map((l) => l.replace(/[ \t]+/g, " ").trim())
    .filter((l) => l.length > 0)
    .map((raw) => ({ raw, folded: foldText(raw) }));
}

/** "1.430,39" → 1430.39 */
export const parseMoney = (s: string): number => Number(s.replace(/[.\s]/g, "").replace(",", "."));

/** "2.268" / "2,268" (OCR) / "468" → 2268 / 468 */
export const parseKwh = (s: string): number => Number(s.replace(/[.,]/g, ""));

/** Money as printed: thousands with dots, two decimals after a comma (OCR sometimes adds a space). */
export const MONEY = /(?<![\d,.])(\d{1,3}(?:\.\d{3})*,\s?\d{2})(?![\d%])/g;
/** dd/mm/yyyy */
export const DATE = /(?<!\d)(\d{2})\/(\d{2})\/(20\d{2})(?!\d)/g;
/** mm/yyyy not part of a full date */
export const MONTH = /(?<![\d/])(\d{2})\/(20\d{2})(?!\d)/g;
/** An identifier: 5–14 digits, maybe a check digit after a dash; OCR reads 8 as B and 0 as O. */
export const ID = /(?<![\w.,/])([\dBO]{5,14}(?:-[\dX])?)(?![\w.,/])/g;

export function idDigits(token: string): string | undefined {
  const digits = token.replace(/B/g, "8").replace(/O/g, "0").replace(/\D/g, "");
  // A token of letters is a word, not an identifier.
  return (token.match(/\d/g)?.length ?? 0) >= 5 && digits.length >= 5 ? digits : undefined;
}

export function isoDate(d: string, m: string, y: string): string | undefined {
  const [day, month, year] = [Number(d), Number(m), Number(y)];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    ? date.toISOString().slice(0, 10)
    : undefined;
}
