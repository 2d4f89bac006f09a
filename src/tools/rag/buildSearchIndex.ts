import { foldText, wordsOf } from "./foldText.ts";
import { STOP_WORDS } from "./stopWords.ts";

export type IndexChunk = { id: string; pageId: string; title: string; heading: string; body: string };

/** A bag of terms with its length, as BM25 sees a document. */
export type Bag = { tf: Map<string, number>; len: number };

export type SearchIndex = {
  chunks: (IndexChunk & { bag: Bag })[];
  pages: Map<string, { title: string; bag: Bag; chunks: number[] }>;
  chunkDf: Map<string, number>;
  pageDf: Map<string, number>;
  avgChunk: number;
  avgPage: number;
  /** Folded word → the stems of its spellings in the pages; what typo correction searches. */
  vocabulary: Map<string, { stems: string[]; df: number }>;
  /** Stem → the stems of the synonym groups it belongs to (knowledge/synonyms.yaml). */
  synonyms: Map<string, string[]>;
  /** Word (lowercase, accents kept) → its Portuguese stem. */
  stems: Map<string, string>;
};

/** Title and heading words count more than body words (BM25F-style field weights). */
const TITLE_WEIGHT = 2;
const HEADING_WEIGHT = 2;
/** Prefix terms only for words long enough for the prefix to differ from the word. */
const PREFIX_MIN = 6;

/**
 * The terms of a word: its stem ("s:") and, for long words, its 5-letter folded prefix ("p:"),
 * which meets inflections the stemmer keeps apart (assinar / assinatura). Stop words: none.
 */
export function termsOfWord(word: string, stems: Map<string, string>): string[] {
  const folded = foldText(word);
  if (STOP_WORDS.has(folded)) return [];
  const stem = stems.get(word) ?? stems.get(folded) ?? folded;
  if (!stem) return [];
  const out = [`s:${stem}`];
  if (folded.length >= PREFIX_MIN && !/^\d+$/.test(folded)) out.push(`p:${prefixOf(folded)}`);
  return out;
}

export const prefixOf = (folded: string) => folded.replace(/s$/, "").slice(0, 5);

function bagOf(parts: [string, number][], stems: Map<string, string>): Bag {
  const tf = new Map<string, number>();
  let len = 0;
  for (const [text, weight] of parts)
    for (const word of wordsOf(text)) {
      const terms = termsOfWord(word, stems);
      if (terms.length) len += weight;
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + weight);
    }
  return { tf, len };
}

/**
 * The in-memory BM25F index over the chunks Postgres stores: one bag per chunk (title and heading
 * weighted) and one per whole page. `stems` comes from PostgreSQL's 'portuguese' snowball stemmer
 * at refresh time; `synonymGroups` are stems too. Pure.
 */
export function buildSearchIndex(
  chunks: IndexChunk[],
  stems: Map<string, string>,
  synonymGroups: string[][] = [],
): SearchIndex {
  const indexed = chunks.map((c) => ({
    ...c,
    bag: bagOf(
      [
        [c.title, TITLE_WEIGHT],
        [c.heading === c.title ? "" : c.heading, HEADING_WEIGHT],
        [c.body, 1],
      ],
      stems,
    ),
  }));
  const pages = new Map<string, { title: string; bag: Bag; chunks: number[] }>();
  indexed.forEach((c, i) => {
    const page = pages.get(c.pageId);
    if (page) page.chunks.push(i);
    else pages.set(c.pageId, { title: c.title, bag: { tf: new Map(), len: 0 }, chunks: [i] });
  });
  for (const page of pages.values()) {
    const parts: [string, number][] = [[page.title, TITLE_WEIGHT]];
    for (const i of page.chunks) {
      const c = indexed[i];
      if (c) parts.push([c.heading === c.title ? "" : c.heading, 1], [c.body, 1]);
    }
    page.bag = bagOf(parts, stems);
  }
  const dfOf = (bags: Bag[]) => {
    const df = new Map<string, number>();
    for (const b of bags) for (const t of b.tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    return df;
  };
  const vocabulary = new Map<string, { stems: string[]; df: number }>();
  for (const c of indexed)
    for (const word of new Set(wordsOf(`${c.title} ${c.heading} ${c.body}`))) {
      const folded = foldText(word);
      const stem = stems.get(word) ?? folded;
      const entry = vocabulary.get(folded) ?? { stems: [], df: 0 };
      if (!entry.stems.includes(stem)) entry.stems.push(stem);
      entry.df++;
      vocabulary.set(folded, entry);
    }
  const synonyms = new Map<string, string[]>();
  for (const group of synonymGroups)
    for (const stem of group)
      synonyms.set(stem, [...(synonyms.get(stem) ?? []), ...group.filter((s) => s !== stem)]);
  const avg = (bags: Bag[]) => bags.reduce((n, b) => n + b.len, 0) / Math.max(bags.length, 1);
  return {
    chunks: indexed,
    pages,
    chunkDf: dfOf(indexed.map((c) => c.bag)),
    pageDf: dfOf([...pages.values()].map((p) => p.bag)),
    avgChunk: avg(indexed.map((c) => c.bag)),
    avgPage: avg([...pages.values()].map((p) => p.bag)),
    vocabulary,
    synonyms,
    stems,
  };
}
