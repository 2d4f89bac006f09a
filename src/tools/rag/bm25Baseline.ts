import { foldText } from "./foldText.ts";
import { STOP_WORDS } from "./stopWords.ts";

/**
 * The benchmark line of `npm run eval:faq` (issue 16): plain BM25 over whole pages, accent
 * folding, stop words, 5-character prefixes as stems, no thresholds, no synonyms. The shipped
 * search must beat it on the same questions and pages. Pure.
 */
export function bm25Baseline(pages: { id: string; title: string; body: string }[]) {
  const terms = (text: string) =>
    (foldText(text).match(/[\p{L}\p{N}]+/gu) ?? [])
      .filter((w) => !STOP_WORDS.has(w))
      .map((w) => w.slice(0, 5));
  const docs = pages.map((p) => {
    const words = terms(`${p.title} ${p.body}`);
    const tf = new Map<string, number>();
    for (const w of words) tf.set(w, (tf.get(w) ?? 0) + 1);
    return { id: p.id, tf, len: words.length };
  });
  const avg = docs.reduce((n, d) => n + d.len, 0) / Math.max(docs.length, 1);
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const [k1, b] = [1.2, 0.75];
  return (question: string, k = 3): string[] => {
    const q = [...new Set(terms(question))];
    const scored = docs.map((d) => {
      let score = 0;
      for (const t of q) {
        const f = d.tf.get(t) ?? 0;
        if (f === 0) continue;
        const n = df.get(t) ?? 0;
        const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
        score += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * d.len) / avg));
      }
      return { id: d.id, score };
    });
    return scored
      .sort((x, y) => y.score - x.score)
      .slice(0, k)
      .map((s) => s.id);
  };
}
