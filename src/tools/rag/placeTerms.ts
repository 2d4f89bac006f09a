import { UFS } from "../../agents/extract/brazilianStates.ts";
import { gazetteerFor } from "../../agents/extract/createGazetteer.ts";
import { readPlace } from "../../agents/extract/readPlace.ts";
import type { QueryGroup } from "./buildQuery.ts";
import type { SearchIndex } from "./buildSearchIndex.ts";
import { foldText, wordsOf } from "./foldText.ts";
import { tableCells } from "./trimPassage.ts";

/*
 * "moro em Salvador, onde fica a usina?": the pages never name Salvador, but they name its state
 * ("Bom Jesus da Lapa (BA)", "Bahia"). The place the customer says they are in (read against all
 * IBGE municipalities, as the lead agent reads it) adds its state's code and name to the search, so
 * the table row or the sentence about that state is the one quoted.
 */
export type PlaceTerms = {
  /** Query groups for the place's state code and name, as far as the pages use them. */
  groups: QueryGroup[];
  /** Folded words of the place's name: where the customer lives, not what they ask about. */
  nameWords: Set<string>;
};

/** The terms of the place a message names (none when it names no place). Pure. */
export function placeTerms(text: string, index: SearchIndex, weight: number): PlaceTerms {
  const reading = readPlace(text, gazetteerFor([]));
  const uf = reading.city?.uf ?? reading.statedUf;
  const state = uf ? UFS[uf] : undefined;
  if (!uf || !state) return { groups: [], nameWords: new Set() };
  const words = [uf, ...wordsOf(state), ...(namesByState(index).get(uf) ?? [])]
    .map(foldText)
    .filter((w) => w.length >= 2 && !LINKS.has(w));
  const groups = words.flatMap((w) => {
    const key = `s:${index.stems.get(w) ?? w}`;
    return index.chunkDf.has(key)
      ? [{ word: `place:${w}`, weight, terms: [{ key, weight: 1 }], known: true }]
      : [];
  });
  const name = reading.city ? wordsOf(reading.city.name).map(foldText) : [];
  return { groups, nameWords: new Set(name.filter((w) => !LINKS.has(w))) };
}

const LINKS = new Set(["de", "do", "da", "dos", "das"]);

const STATE_OF = new Map(
  Object.entries(UFS).flatMap(([uf, name]) => [
    [foldText(uf), uf],
    [foldText(name), uf],
  ]),
);
const learned = new WeakMap<SearchIndex, Map<string, string[]>>();

/**
 * What the pages themselves tie to a state: the other cells of a table row with a state cell
 * ("| Coelba | BA |") and the name right before a state in parentheses ("Coelba (Bahia)"). So a
 * customer in Feira de Santana meets the row of the Bahia distributor in any table. Cached per index.
 */
function namesByState(index: SearchIndex): Map<string, string[]> {
  const cached = learned.get(index);
  if (cached) return cached;
  const byUf = new Map<string, string[]>();
  const add = (uf: string, text: string) => byUf.set(uf, [...(byUf.get(uf) ?? []), ...wordsOf(text)]);
  for (const chunk of index.chunks)
    for (const line of chunk.body.split("\n")) {
      const cells = tableCells(line) ?? [];
      const stateCell = cells.find((c) => STATE_OF.has(foldText(c)));
      if (stateCell) {
        const uf = STATE_OF.get(foldText(stateCell)) ?? "";
        for (const c of cells) if (c !== stateCell) add(uf, c);
      }
      for (const m of line.matchAll(/((?:\p{Lu}[\p{L}]*\s?){1,3})\(([^)]+)\)/gu)) {
        const uf = STATE_OF.get(foldText(m[2] ?? ""));
        if (uf && m[1]) add(uf, m[1]);
      }
    }
  learned.set(index, byUf);
  return byUf;
}
