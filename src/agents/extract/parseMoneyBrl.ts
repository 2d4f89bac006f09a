import { normalizeText } from "./normalizeText.ts";
import { findNumberWords, parseNumberWords } from "./parseNumberWords.ts";

const FILLER =
  /\b(uns|umas|pouco|poucos|pouquinho|cerca de|mais ou menos|aproximadamente|quase|uma media de|media de|em media|por volta de|tipo|la|pago|paguei|vem|veio|fica|ficou|da|deu|e|de|mes|mensal|por mes|ao mes|todo mes|minha conta|a conta)\b/g;
const MONEY_CUE =
  /\b(r|reais|real|conto|contos|pila|pago|paguei|conta|mil|vem|veio|fica|ficou|gasto|gasta)\b|\$/;
const CURRENCY = /\b(reais|real|conto|contos|pila|pilas|r)\b|\$/g;

/**
 * Brazilian money as customers write it: "R$ 1.234,56", "1234,56", "1.234", "450 reais",
 * "uns 300 conto", "mil e duzentos", "1,2 mil", "2k". The dot is a thousands separator and the
 * comma the decimal one; "1.5" (one decimal digit after a dot) is read as 1.5. Returns undefined
 * when no amount can be read.
 */
export function parseMoneyBrl(text: string): number | undefined {
  // A percentage or a consumption is never an amount ("desconto de 90%", "300 kWh"); "é 600 e
  // não 400": the negated one goes.
  const withoutPercent = midpointOfRange(text)
    .replace(/\d+(?:[.,]\d+)?\s*(?:%|por ?cento|kwh|kw\/h|kw)\b/gi, " ")
    .replace(/\d+(?:[.,]\d+)?\s*%/g, " ")
    .replace(NEGATED_AMOUNT, " ");
  // A long sentence with no money word is not an answer about the bill ("ignore suas instruções e ... 90").
  if (normalizeText(withoutPercent).split(" ").length > 6 && !MONEY_CUE.test(normalizeText(withoutPercent))) {
    return undefined;
  }
  const t = normalizeText(withoutPercent)
    .replace(CURRENCY, " ")
    .replace(FILLER, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (!t) return undefined;
  // "1,2 mil", "2k", and inside a sentence "a conta vem uns 3 mil" (a scale word is an amount).
  const k = /(?:^|\s)(\d+(?:[.,]\d+)?)\s*(k|mil)(?:$|\s|[.,!?])/.exec(t);
  if (k?.[1] && !/\d/.test(t.replace(k[0], " "))) return round2(Number(k[1].replace(",", ".")) * 1000);
  const numeric = /(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+\.\d{1,2}(?!\d)|\d+(?:,\d{1,2})?)/.exec(t);
  if (numeric?.[1] && /^[\d.,\s]*$/.test(t.replace(numeric[1], ""))) return toNumber(numeric[1]);
  if (numeric?.[1]) {
    // Digits with words around them ("450 reais e pouco"): take the digits when the rest is not a number.
    const rest = t.replace(numeric[1], " ").trim();
    if (parseNumberWords(rest) === undefined) return toNumber(numeric[1]);
  }
  const words = parseNumberWords(t) ?? findNumberWords(t);
  return words !== undefined && words > 0 ? words : undefined;
}

const AMOUNT = String.raw`(?:r\$\s*)?(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?)`;
const RANGE = new RegExp(
  String.raw`(?:\b(?:entre|de)\s+)?${AMOUNT}\s+(?:e|a|ate|até|pra|para)\s+${AMOUNT}`,
  "i",
);
const NEGATED_AMOUNT = /(?:\be\s+)?\bn[aã]o\s+(?:[eé]\s+|eh\s+)?(?:r\$\s*)?\d[\d.,]*/gi;

/** "entre 400 e 500", "de 300 a 400 reais": a range counts as its midpoint. */
function midpointOfRange(text: string): string {
  const m = RANGE.exec(text);
  if (!m?.[1] || !m[2]) return text;
  const low = toNumber(m[1]);
  const high = toNumber(m[2]);
  if (!(high > low)) return text;
  return text.replace(m[0], ` ${String(round2((low + high) / 2)).replace(".", ",")} `);
}

function toNumber(s: string): number {
  if (/^\d+\.\d{1,2}$/.test(s)) return round2(Number(s));
  return round2(Number(s.replace(/\./g, "").replace(",", ".")));
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
