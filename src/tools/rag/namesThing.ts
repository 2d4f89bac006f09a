import type { QueryGroup } from "./buildQuery.ts";
import type { SearchIndex } from "./buildSearchIndex.ts";
import { foldText } from "./foldText.ts";

/**
 * Whether one section of the page holds every word of the asked thing, as typed, corrected, through
 * its prefix or a synonym (customers name things in their own words: "celular" for the phone).
 */
export function namesThing(
  index: SearchIndex,
  pageId: string | undefined,
  groups: QueryGroup[],
  words: string[],
) {
  const page = pageId ? index.pages.get(pageId) : undefined;
  if (!page) return false;
  // A word the pages never use is not named by a page word that merely shares its first letters
  // ("gerador" / "gerada"): only its corrected spelling or a synonym can name it.
  const termsOf = words.map((w) => {
    const group = groups.find((g) => foldText(g.word) === w);
    return (group?.terms ?? []).filter((t) => group?.known || !t.key.startsWith("p:"));
  });
  return page.chunks.some((i) => {
    const tf = index.chunks[i]?.bag.tf;
    return !!tf && termsOf.every((terms) => terms.some((t) => tf.has(t.key)));
  });
}
