import type { SearchIndex } from "./buildSearchIndex.ts";
import { prefixOf, termsOfWord } from "./buildSearchIndex.ts";
import { editDistance, foldText, wordsOf } from "./foldText.ts";
import { isContentWord } from "./stopWords.ts";

/** One word of the question with the terms that stand for it; a page matches it through any of them. */
export type QueryGroup = {
  word: string;
  /** 1 for a question sentence, lower for the context around it. */
  weight: number;
  terms: { key: string; weight: number }[];
  /** False when no stem of the word (typed or corrected) occurs in the pages: a word the knowledge base never uses. */
  known: boolean;
};

/** A corrected spelling, a synonym or a bare prefix counts less than the word as typed. */
const CORRECTED = 0.8;
const SYNONYM = 0.5;
const PREFIX = 0.5;

/**
 * The query groups of a text: each content word (stop words and question fillers dropped) with
 * its stem, its 5-letter prefix, the stems of its synonyms and, for a word the pages never use,
 * the closest page word within one or two typos ("fidelidadi" → fidelidade). Pure.
 */
export function buildQuery(text: string, index: SearchIndex, weight = 1): QueryGroup[] {
  const groups: QueryGroup[] = [];
  const seen = new Set<string>();
  for (const word of wordsOf(text)) {
    const folded = foldText(word);
    if (!isContentWord(folded) || seen.has(folded)) continue;
    seen.add(folded);
    const terms = new Map<string, number>();
    const add = (key: string, w: number) => terms.set(key, Math.max(terms.get(key) ?? 0, w));
    const known = index.vocabulary.get(folded);
    // "minha conta é de 120 reais": a figure the pages never use is the customer's own, not a topic.
    if (!known && /^\d+$/.test(folded)) continue;
    // A word only the synonym list has ("aluguel" when the pages say "alugados") is searched
    // through its group.
    const own = index.stems.get(word) ?? index.stems.get(folded);
    const listed = own && index.synonyms.has(own) ? [own] : undefined;
    const stems = known
      ? known.stems
      : listed || inflectedStems(folded, index) || closestStems(folded, index);
    const w0 = known ? 1 : CORRECTED;
    for (const t of termsOfWord(word, index.stems)) add(t, t.startsWith("p:") ? PREFIX : 1);
    for (const stem of stems) {
      add(`s:${stem}`, w0);
      for (const syn of index.synonyms.get(stem) ?? []) add(`s:${syn}`, SYNONYM);
    }
    if (!known && stems.length && folded.length >= 6) add(`p:${prefixOf(folded)}`, PREFIX);
    const list = [...terms].map(([key, w]) => ({ key, weight: w })).filter((t) => index.chunkDf.has(t.key));
    // A shared prefix alone ("previsão" / "prévio") is searched but does not make the word known.
    groups.push({ word, weight, terms: list, known: list.some((t) => t.key.startsWith("s:")) });
  }
  return groups;
}

/** Verb and noun endings, longest first: what Portuguese adds to a stem ("pag-o", "mand-ar"). */
const ENDINGS =
  "amentos imentos amento imento acoes ando endo indo aram eram iram avam ados adas idos idas ado ada ido ida ar er ir uei ei ou am em as es os a e o s".split(
    " ",
  );

/**
 * The stem of an inflection the pages never use ("pago" when they say "paga" and "pagar"; "mandar"
 * when only the synonym list has it): the word less an ending, when that is a stem the index knows.
 * The stemmer only ran on the pages' own words, so without this such a word would count as foreign.
 */
export function inflectedStems(folded: string, index: SearchIndex): string[] | undefined {
  if (/\d/.test(folded)) return undefined;
  for (const ending of ENDINGS) {
    const stem = folded.slice(0, -ending.length);
    if (!folded.endsWith(ending) || stem.length < 3) continue;
    if (index.chunkDf.has(`s:${stem}`) || index.synonyms.has(stem)) return [stem];
  }
  return undefined;
}

/** The stems of the closest page word, for a word the pages never use (typos). */
function closestStems(folded: string, index: SearchIndex): string[] {
  // Five letters and fewer are too close to other real words ("sogra" / "sobra") to correct.
  if (folded.length < 6 || /\d/.test(folded)) return [];
  // Two typos only in long words: "previsao" is two edits from "previo" and means something else.
  const max = folded.length >= 10 ? 2 : 1;
  let best = max + 1;
  let bestDf = -1;
  let found: string[] = [];
  for (const [candidate, entry] of index.vocabulary) {
    if (candidate[0] !== folded[0] || Math.abs(candidate.length - folded.length) > max) continue;
    const d = editDistance(folded, candidate, max);
    if (d < best || (d === best && d <= max && entry.df > bestDf)) {
      best = d;
      bestDf = entry.df;
      found = entry.stems;
    }
  }
  return best <= max ? found : [];
}
