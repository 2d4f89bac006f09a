import { CAPITALS, STATE_KEYS, UFS } from "./brazilianStates.ts";
import { type City, gazetteerFor, type Place, placeKey } from "./createGazetteer.ts";
import { editDistance, normalizeText, typoBudget } from "./normalizeText.ts";
import { readPlace } from "./readPlace.ts";

export type { City, Place };
export { UFS };

/**
 * The state a customer names: a UF code ("PE", "pe", "em SP") or a state name with or without
 * accents and with a small typo ("pernambuco", "Minas", "Pernanbuco").
 */
export function matchUf(text: string): string | undefined {
  const said = readPlace(text, gazetteerFor([]), { answering: true });
  if (said.statedUf && !said.city) return said.statedUf;
  const t = normalizeText(text)
    .replace(/[.,!?]/g, "")
    .trim();
  let best: { uf: string; d: number } | undefined;
  for (const [key, uf] of STATE_KEYS) {
    const d = editDistance(t, key);
    if (d <= typoBudget(key.length) && (!best || d < best.d)) best = { uf, d };
  }
  return best?.uf ?? said.statedUf;
}

/**
 * The municipality a text names, when exactly one fits: any of IBGE's 5,570, the operator's cities
 * and nicknames, inside a sentence or alone, with accents or without, with a small typo; a UF in
 * the text (or `uf`) picks among namesakes. Used for answers, the LLM's values and bills.
 */
export function matchCity(text: string, cities: readonly City[], uf?: string): Place | undefined {
  return readPlace(text, gazetteerFor(cities), { answering: true, ...(uf ? { knownUf: uf } : {}) }).city;
}

/** A state capital or one of the operator's cities (or their nicknames): places everybody names. */
export function isKnownPlace(words: string, cities: readonly City[]): boolean {
  const key = placeKey(words);
  if (Object.values(CAPITALS).some((c) => placeKey(c) === key)) return true;
  return cities.some((c) => [c.name, ...(c.aliases ?? [])].some((n) => placeKey(n) === key));
}
