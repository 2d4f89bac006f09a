import type { QueryGroup } from "./buildQuery.ts";
import type { SearchIndex } from "./buildSearchIndex.ts";
import { foldText, wordsOf } from "./foldText.ts";
import type { PageHit } from "./rankPages.ts";
import { selectSentences } from "./selectSentences.ts";
import { isContentWord } from "./stopWords.ts";

/*
 * Operators point from one page to another instead of repeating it: "os documentos estão na página
 * de documentos necessários", "veja a página sobre Tarifa Social". When the sentences that answer
 * a question are such a pointer, the page pointed to holds the answer.
 */
const POINTER = /\bpaginas? (?:de|do|da|sobre) ([^.;:!?]+)/g;

/** The page a text points to ("veja a página sobre X"): the one whose title holds most of X. Pure. */
export function referencedPage(index: SearchIndex, text: string, from: string): string | undefined {
  let best: { pageId: string; share: number } | undefined;
  for (const m of foldText(text).matchAll(POINTER)) {
    // "…sobre mudança de endereço e sobre Tarifa Social": the first page named.
    const named = wordsOf((m[1] ?? "").split(/\b(?:e sobre|e a pagina)\b/)[0] ?? "").filter(isContentWord);
    if (named.length === 0) continue;
    for (const [pageId, page] of index.pages) {
      if (pageId === from) continue;
      const title = new Set(wordsOf(page.title).map(foldText));
      const share = named.filter((w) => title.has(w) || title.has(w.replace(/s$/, ""))).length / named.length;
      if (share >= 0.5 && (!best || share > best.share)) best = { pageId, share };
    }
    if (best) return best.pageId;
  }
  return undefined;
}

/**
 * When the best page's answer is just a pointer ("estão na página de documentos necessários"),
 * the page pointed to comes first and the pointing page second. Pure.
 */
export function followPointer(index: SearchIndex, hits: PageHit[], groups: QueryGroup[]): PageHit[] {
  const first = hits[0];
  if (!first) return hits;
  // Only a section that is nothing but the pointer: a pointer beside an answer is an aside.
  const text = selectSentences(index, first.pageId, groups).text.replace(/^\*[^*\n]+\*\n/, "");
  const sentences = text.split(/(?<=[.!?])\s+|\n+/).filter((t) => t.trim());
  const target = sentences.length === 1 ? referencedPage(index, text, first.pageId) : undefined;
  const hit = target ? hits.find((h) => h.pageId === target) : undefined;
  return hit ? [hit, ...hits.filter((h) => h !== hit)] : hits;
}
