import { CITY_NICKNAMES } from "./cityNicknames.ts";
import { type Municipality, municipalities } from "./municipalities.ts";
import { tokenize } from "./tokenize.ts";

/** A place the agent can store: official spelling and UF. */
export type Place = { name: string; uf: string };
/** A city as operator data gives it: official spelling, its UF, and nicknames customers use. */
export type City = { name: string; uf: string; aliases?: string[] };

/**
 * Every municipality under the keys customers type for it (folded words joined by spaces), plus
 * nicknames. The operator's cities are aliases and overrides: their keys point at their entry.
 */
export type Gazetteer = {
  byKey: ReadonlyMap<string, readonly Place[]>;
  /** Keys that are nicknames (BH, Sampa) rather than official names. */
  nicknames: ReadonlySet<string>;
  /** Keys grouped by word count and first letter, for names typed with a typo. */
  byShape: ReadonlyMap<string, readonly string[]>;
  /** States with a single municipality (DF: Brasília): naming the state names the city. */
  onlyCity: ReadonlyMap<string, Place>;
  /** Every leading run of words of a key ("vitoria", "vitoria da"): a scan stops when none fits. */
  prefixes: ReadonlySet<string>;
  maxWords: number;
};

/** The folded key of a name: "Santa Bárbara d'Oeste" → "santa barbara doeste"; "Sta." → "santa". */
export function placeKey(name: string): string {
  return tokenize(name)
    .map((t) => PLACE_ABBREVIATIONS[t.norm] ?? t.norm)
    .join(" ");
}

/** Short forms in town names as people type them ("Sta. Luzia", "Pres. Prudente"). */
export const PLACE_ABBREVIATIONS: Readonly<Record<string, string>> = {
  sta: "santa",
  sto: "santo",
  pres: "presidente",
  gov: "governador",
  mal: "marechal",
  cel: "coronel",
};

export function shapeOf(key: string): string {
  return `${key.split(" ").length}:${key.charAt(0)}`;
}

const byCities = new WeakMap<readonly City[], Gazetteer>();
/** Every empty list is the same list: one gazetteer of the municipalities alone, not one per caller. */
const NO_CITIES: readonly City[] = [];

/** The gazetteer for an operator city list (built once per list). */
export function gazetteerFor(cities: readonly City[]): Gazetteer {
  const key = cities.length === 0 ? NO_CITIES : cities;
  let g = byCities.get(key);
  if (!g) {
    g = createGazetteer(municipalities(), key);
    byCities.set(key, g);
  }
  return g;
}

export function createGazetteer(all: readonly Municipality[], cities: readonly City[]): Gazetteer {
  const byKey = new Map<string, Place[]>();
  const add = (key: string, place: Place) => {
    if (!key) return;
    const list = byKey.get(key) ?? [];
    if (!list.some((p) => p.name === place.name && p.uf === place.uf)) list.push(place);
    byKey.set(key, list);
  };
  for (const m of all) add(placeKey(m.name), { name: m.name, uf: m.uf });
  const nicknames = new Set<string>();
  for (const n of CITY_NICKNAMES) {
    const key = placeKey(n.alias);
    // A nickname never hides a municipality of that name.
    if (byKey.has(key)) continue;
    nicknames.add(key);
    add(key, { name: n.name, uf: n.uf });
  }
  // The operator's table overrides: each of its keys means its city and nothing else.
  for (const c of cities) {
    for (const alias of [c.name, ...(c.aliases ?? [])]) {
      const key = placeKey(alias);
      if (key !== placeKey(c.name) && !byKey.has(key)) nicknames.add(key);
      byKey.set(key, [{ name: c.name, uf: c.uf }]);
    }
  }
  const byShape = new Map<string, string[]>();
  for (const key of byKey.keys()) {
    const list = byShape.get(shapeOf(key)) ?? [];
    list.push(key);
    byShape.set(shapeOf(key), list);
  }
  const prefixes = new Set<string>();
  for (const key of byKey.keys()) {
    const words = key.split(" ");
    for (let n = 1; n <= words.length; n++) prefixes.add(words.slice(0, n).join(" "));
  }
  const maxWords = Math.max(...[...byKey.keys()].map((k) => k.split(" ").length));
  const perUf = new Map<string, Place[]>();
  for (const m of all) perUf.set(m.uf, [...(perUf.get(m.uf) ?? []), { name: m.name, uf: m.uf }]);
  const onlyCity = new Map(
    [...perUf].flatMap(([uf, list]) => (list.length === 1 && list[0] ? [[uf, list[0]]] : [])),
  );
  return { byKey, nicknames, byShape, onlyCity, prefixes, maxWords };
}
