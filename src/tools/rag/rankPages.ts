import type { QueryGroup } from "./buildQuery.ts";
import type { Bag, SearchIndex } from "./buildSearchIndex.ts";

export type PageHit = {
  pageId: string;
  /** Raw BM25F score: the best chunk plus a share of the whole page's score. */
  raw: number;
  /** Index of the page's best chunk in index.chunks. */
  chunk: number;
  /** Share (idf-weighted) of the question's words (weight 1) that the page matches. */
  coverage: number;
};

const K1 = 1.2;
const B = 0.75;
/** The whole page's score counts this much beside its best chunk's: pages about the question win. */
const PAGE_SHARE = 0.5;

/** BM25 idf of a term with document frequency df among n documents. */
export const idf = (df: number, n: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));

/** How much a group matters: its best term's idf (an unknown word weighs like the rarest one). */
export function groupIdf(group: QueryGroup, index: SearchIndex): number {
  const n = index.chunks.length;
  if (!group.known) return idf(0, n);
  return Math.max(...group.terms.map((t) => idf(index.chunkDf.get(t.key) ?? 0, n)));
}

/** BM25 of one bag: per question word, its best term (stem, prefix or synonym), saturated. */
function score(groups: QueryGroup[], bag: Bag, df: Map<string, number>, n: number, avg: number) {
  let total = 0;
  const matched: QueryGroup[] = [];
  for (const g of groups) {
    let best = 0;
    for (const t of g.terms) {
      const f = bag.tf.get(t.key) ?? 0;
      if (f === 0) continue;
      const s =
        (t.weight * idf(df.get(t.key) ?? 0, n) * f * (K1 + 1)) / (f + K1 * (1 - B + (B * bag.len) / avg));
      if (s > best) best = s;
    }
    if (best > 0) matched.push(g);
    total += g.weight * best;
  }
  return { total, matched };
}

/** Pages ranked by BM25F for the query groups, best first, with their best chunk. Pure. */
export function rankPages(index: SearchIndex, groups: QueryGroup[]): PageHit[] {
  const hits: PageHit[] = [];
  const main = groups.filter((g) => g.weight >= 1);
  const mainIdf = main.reduce((n, g) => n + groupIdf(g, index), 0);
  for (const [pageId, page] of index.pages) {
    const whole = score(groups, page.bag, index.pageDf, index.pages.size, index.avgPage);
    if (whole.total <= 0) continue;
    let best = { total: 0, i: page.chunks[0] ?? 0 };
    for (const i of page.chunks) {
      const bag = index.chunks[i]?.bag;
      if (!bag) continue;
      const s = score(groups, bag, index.chunkDf, index.chunks.length, index.avgChunk).total;
      if (s > best.total) best = { total: s, i };
    }
    const covered = whole.matched.filter((g) => g.weight >= 1).reduce((n, g) => n + groupIdf(g, index), 0);
    hits.push({
      pageId,
      raw: best.total + PAGE_SHARE * whole.total,
      chunk: best.i,
      coverage: mainIdf > 0 ? covered / mainIdf : 0,
    });
  }
  return hits.sort((a, b) => b.raw - a.raw);
}

/**
 * One relevance number per page in 0..1 from the raw BM25F score, so operators can set a
 * threshold (FAQ_MIN_SCORE) without knowing the scale. Pure.
 */
export function relevance(raw: number): number {
  return raw / (raw + 5);
}
