import { editDistance, normalizeText, normalizeWords, typoBudget } from "./normalizeText.ts";

export const UFS: Record<string, string> = {
  AC: "Acre",
  AL: "Alagoas",
  AP: "Amapá",
  AM: "Amazonas",
  BA: "Bahia",
  CE: "Ceará",
  DF: "Distrito Federal",
  ES: "Espírito Santo",
  GO: "Goiás",
  MA: "Maranhão",
  MT: "Mato Grosso",
  MS: "Mato Grosso do Sul",
  MG: "Minas Gerais",
  PA: "Pará",
  PB: "Paraíba",
  PR: "Paraná",
  PE: "Pernambuco",
  PI: "Piauí",
  RJ: "Rio de Janeiro",
  RN: "Rio Grande do Norte",
  RS: "Rio Grande do Sul",
  RO: "Rondônia",
  RR: "Roraima",
  SC: "Santa Catarina",
  SP: "São Paulo",
  SE: "Sergipe",
  TO: "Tocantins",
};

/** A city as operator data gives it: official spelling, its UF, and nicknames customers use. */
export type City = { name: string; uf: string; aliases?: string[] };

/**
 * The state a customer names: a UF abbreviation on its own ("PE", "pe", "em SP") or a state name
 * with or without accents and with a small typo ("pernambuco", "Minas", "sao paulo" only when no
 * city of that name is meant — callers try cities first).
 */
export function matchUf(text: string): string | undefined {
  const t = normalizeText(text);
  const words = t.split(" ");
  for (const w of words) {
    const upper = w.toUpperCase();
    if (w.length === 2 && upper in UFS && !COMMON_TWO_LETTER_WORDS.has(w)) return upper;
  }
  let best: { uf: string; d: number } | undefined;
  for (const [uf, name] of Object.entries(UFS)) {
    const n = normalizeText(name);
    if (containsPhrase(t, n)) return uf;
    const d = editDistance(t, n);
    if (d <= typoBudget(n.length) && (!best || d < best.d)) best = { uf, d };
  }
  if (t === "minas") return "MG";
  return best?.uf;
}

/** Two-letter words that are also UF codes but mean something else in a sentence. */
const COMMON_TWO_LETTER_WORDS = new Set(["pa", "to", "se", "es", "ma", "am", "al", "ac", "pi", "ce"]);

/**
 * The city a customer names, from the operator's list: exact, without accents, by nickname ("BH",
 * "Sampa", "Rio"), inside a sentence ("moro em sao paulo"), or with a small typo ("Sâo Paulo",
 * "belo horisonte"). A UF in the text ("Rio Branco AC") disambiguates.
 */
export function matchCity(text: string, cities: readonly City[]): City | undefined {
  // Without punctuation: "Recife, PE" and "Recife - PE" are the same answer.
  const t = normalizeWords(text).replace(/\s-\s/g, " ");
  const uf = matchUfCode(t);
  const candidates = uf ? cities.filter((c) => c.uf === uf) : cities;
  let phrase: { city: City; length: number } | undefined;
  for (const city of candidates) {
    for (const n of [city.name, ...(city.aliases ?? [])].map(normalizeText)) {
      if (t === n) return city;
      if (containsPhrase(t, n) && (!phrase || n.length > phrase.length)) phrase = { city, length: n.length };
    }
  }
  if (phrase) return phrase.city;
  let best: { city: City; d: number } | undefined;
  const tail = t.replace(/^(moro em|moro no|moro na|sou de|eu moro em|fico em|em|na|no|de)\s+/, "");
  for (const city of candidates) {
    const n = normalizeText(city.name);
    const d = editDistance(tail, n);
    if (d <= typoBudget(n.length) && (!best || d < best.d)) best = { city, d };
  }
  return best?.city;
}

function matchUfCode(t: string): string | undefined {
  const m = /\b([a-z]{2})$/.exec(t);
  const code = m?.[1]?.toUpperCase();
  return code && code in UFS && t.split(" ").length > 1 ? code : undefined;
}

function containsPhrase(text: string, phrase: string): boolean {
  return ` ${text} `.includes(` ${phrase} `);
}
