import { foldText } from "./foldText.ts";
import { isContentWord } from "./stopWords.ts";

const NUMBER_WORDS: Record<string, string> = {
  um: "1",
  uma: "1",
  dois: "2",
  duas: "2",
  tres: "3",
  quatro: "4",
  cinco: "5",
  seis: "6",
  sete: "7",
  oito: "8",
  nove: "9",
  dez: "10",
  onze: "11",
  doze: "12",
  quinze: "15",
  vinte: "20",
  trinta: "30",
  quarenta: "40",
  cinquenta: "50",
  sessenta: "60",
  noventa: "90",
  cem: "100",
};

/**
 * The facts of a text that must not be invented: every number (percentages, money, durations,
 * dates, days), written in digits or as a number word before a unit ("doze meses"), normalized
 * ("R$ 1.200,00" → "1200", "20 %" → "20"). Pure.
 */
export function factsOf(text: string): Set<string> {
  const folded = foldText(text);
  const facts = new Set<string>();
  for (const m of folded.matchAll(/\d+(?:[.,]\d+)*/g)) facts.add(normalizeNumber(m[0]));
  const unit = "(?:%|por cento|dias?|meses|mes|anos?|horas?|semanas?|ciclos?|reais|vezes|parcelas?)";
  const words = Object.keys(NUMBER_WORDS).join("|");
  for (const m of folded.matchAll(new RegExp(`\\b(${words})\\s+(?:a\\s+\\w+\\s+)?${unit}`, "g")))
    facts.add(NUMBER_WORDS[m[1] ?? ""] ?? "");
  facts.delete("");
  return facts;
}

/** "1.200,00" and "1200" are the same amount; "2,5" stays "2.5". */
function normalizeNumber(raw: string): string {
  let s = raw;
  if (/,\d{1,2}$/.test(s)) s = s.replace(/\./g, "").replace(",", ".");
  else s = s.replace(/[.,](?=\d{3}\b)/g, "");
  const n = Number(s.replace(",", "."));
  return Number.isFinite(n) ? String(n) : raw;
}

/**
 * The grounding check: the facts of an answer that the retrieved passages do not contain. An empty
 * result means every number the answer states is in the sources; anything else, and the answer is
 * not sent (an invented discount is worse than no answer).
 */
export function ungroundedFacts(answer: string, sources: string[]): string[] {
  const known = new Set<string>();
  for (const s of sources) for (const f of factsOf(s)) known.add(f);
  return [...factsOf(answer)].filter((f) => !known.has(f));
}

/**
 * Below this share of its content words found in the passages, a sentence of an LLM answer says
 * something the passages do not: a paraphrase keeps most words' stems, an invented rule does not.
 */
const SENTENCE_SUPPORT = 0.6;

/**
 * The sentences of an answer whose content words (5-letter folded prefixes, so inflections meet)
 * are mostly absent from the sources. Short sentences ("Sim.") are not judged. Pure.
 */
export function unsupportedSentences(answer: string, sources: string[]): string[] {
  const known = new Set(sources.flatMap((s) => contentPrefixes(s)));
  return (answer.match(/[^.!?\n]+[.!?]*/g) ?? [])
    .map((s) => s.trim())
    .filter((sentence) => {
      const words = contentPrefixes(sentence);
      if (words.length < 3) return false;
      return words.filter((w) => known.has(w)).length / words.length < SENTENCE_SUPPORT;
    });
}

/** An LLM answer may be sent: every number and every sentence is backed by the passages. */
export function isGrounded(answer: string, sources: string[]): boolean {
  return ungroundedFacts(answer, sources).length === 0 && unsupportedSentences(answer, sources).length === 0;
}

function contentPrefixes(text: string): string[] {
  return (foldText(text).match(/\p{L}+/gu) ?? [])
    .filter((w) => w.length >= 4 && isContentWord(w))
    .map((w) => w.replace(/s$/, "").slice(0, 5));
}
