import { CAPITALS, COMMON_TWO_LETTER_WORDS, NAMESAKE_CAPITALS, STATE_KEYS, UFS } from "./brazilianStates.ts";
import { type Gazetteer, PLACE_ABBREVIATIONS, type Place, placeKey, shapeOf } from "./createGazetteer.ts";
import { editDistance, typoBudget } from "./normalizeText.ts";
import {
  ANSWER_FILLER,
  CITY_PART_CUES,
  NEAR_CUES,
  STATE_ONLY_CUES,
  STRONG_CUES,
  WEAK_CUES,
} from "./placeCues.ts";
import { isCapitalized, type Token, tokenize } from "./tokenize.ts";

/** Where the customer says they are, as far as the message tells. */
export type PlaceReading = {
  /** The municipality meant, when exactly one fits. */
  city?: Place;
  /** A name shared by municipalities of several states, with no state said: its spelling. */
  sharedName?: string;
  /** The state the message says outright (code or name). */
  statedUf?: string;
  /** Two different cities in one message: neither is taken (the agent asks). */
  conflicting?: boolean;
  /** "moro em Xiquexiquelândia": the message says where, but no municipality is called that. */
  unplaced?: boolean;
};

export type ReadPlaceOptions = {
  /** The agent just asked for the city or the state: a bare name is an answer. */
  answering?: boolean;
  /** The state already known, to tell apart municipalities of the same name. */
  knownUf?: string;
  /** Characters that hold something else (the customer's name): no place is read there. */
  skip?: { start: number; end: number };
};

type Span = { i: number; j: number };
type StateMention = Span & { uf: string };
type CityMention = Span & { key: string; places: readonly Place[] };

/**
 * Reads the place in a message against every Brazilian municipality: "Garanhuns - PE", "moro em
 * vitoria da conquista", "sou de Joinville/SC", "Sou o Marcelo, de Sampa", "interior de SP".
 * A name counts when the message says it is a place — the answer to the city question, a cue
 * ("moro em", "sou de"), a state right after it, or a preposition with a capital or a multi-word
 * name — so "conta de luz" is not Luz (MG). A name shared by several states is resolved by the
 * state said or known, else left for the agent to ask; typos are forgiven in answers and after a
 * strong cue.
 */
export function readPlace(text: string, g: Gazetteer, opts: ReadPlaceOptions = {}): PlaceReading {
  const tokens = placeTokens(text, opts.skip);
  if (tokens.length === 0) return {};
  const { states, cities } = scan(tokens, g);
  // A bare name is a place only when the agent asked for one or a state is said with it
  // ("Feliz Natal" is a municipality, and a greeting).
  const answerEnd = answerLikeUpTo(tokens, states, cities);
  const answer = answerEnd > 0 && (!!opts.answering || states.length > 0);
  // "perto de Campinas": a landmark, not the place.
  const accepted = cities.filter(
    (c) => accepts(tokens, c, states, g, answer && c.j <= answerEnd) && !cuedBy(tokens, c.i, NEAR_CUES),
  );
  if (accepted.length === 0) {
    // A short answer to the city question is read with typos even with a word we do not know.
    const short = !!opts.answering && tokens.length <= 6;
    const fuzzy = fuzzyCity(tokens, states, g, (answer && answerEnd === tokens.length) || short);
    if (fuzzy) accepted.push(fuzzy);
  }
  const uf = states[0]?.uf;
  const keys = new Set(accepted.map((c) => c.places.map((p) => `${p.name}/${p.uf}`).join("|")));
  const stated = uf ? { statedUf: uf } : {};
  if (keys.size > 1) return { conflicting: true, ...stated };
  // A name with a state it has no municipality in ("Guará, DF" is a district of Brasília, not
  // Guará in SP): the state said wins, and the name is not taken as a city.
  const mention = accepted.find((c) => !uf || c.places.some((p) => p.uf === uf));
  // "Gama, DF", "moro no DF": the Federal District is one municipality, Brasília.
  const only = uf ? g.onlyCity.get(uf) : undefined;
  if (!mention && only) return { city: only, ...stated };
  // "moro na capital" with the state said or known: that state's capital.
  const capital = !mention ? capitalOf(tokens, uf ?? opts.knownUf, g) : undefined;
  if (capital) return { city: capital, ...stated };
  if (!mention) return uf || !namesUnknownPlace(tokens) ? stated : { unplaced: true };
  return { ...resolve(mention.places, uf ?? opts.knownUf), ...stated };
}

/**
 * The words of a message for reading places: outside `skip`, with the short forms of town names
 * spelled out ("Sta." → santa, "S. José" → são josé) and their dot kept inside the name.
 */
function placeTokens(text: string, skip: ReadPlaceOptions["skip"]): Token[] {
  const words = tokenize(text.slice(0, 4000)).filter(
    (t) => !skip || t.end <= skip.start || t.start >= skip.end,
  );
  const out: Token[] = [];
  let afterShortForm = false;
  words.forEach((t, i) => {
    const norm = expandAbbreviation(t, words[i + 1]);
    out.push({ ...t, norm, sep: afterShortForm && t.sep === "." ? "" : t.sep });
    afterShortForm = norm !== t.norm;
  });
  return out;
}

/** "Sta. Rita", "Sto André", "S. José": the short forms of saints' names in town names. */
function expandAbbreviation(t: Token, next: Token | undefined): string {
  if (t.norm === "s" && t.text === "S" && next && /^\p{Lu}/u.test(next.text)) return "sao";
  return PLACE_ABBREVIATIONS[t.norm] ?? t.norm;
}

/** The capital of the state when the message says "capital" ("na capital", "a capital de MG"). */
function capitalOf(tokens: readonly Token[], uf: string | undefined, g: Gazetteer): Place | undefined {
  return uf && tokens.some((t) => t.norm === "capital") ? capitalPlace(uf, g) : undefined;
}

/** A state's capital as the gazetteer holds it. */
function capitalPlace(uf: string, g: Gazetteer): Place | undefined {
  const name = CAPITALS[uf];
  return name ? g.byKey.get(placeKey(name))?.find((p) => p.uf === uf) : undefined;
}

/** A strong cue followed by a capitalised word we do not know: "sou de Pasárgada". */
function namesUnknownPlace(tokens: readonly Token[]): boolean {
  return tokens.some((_, i) => i > 0 && isCapitalized(tokens, i) && cuedBy(tokens, i, STRONG_CUES));
}

/** Picks the municipality among those of the name: by the state said, else the only one. */
function resolve(places: readonly Place[], wantedUf: string | undefined): PlaceReading {
  const inState = wantedUf ? places.filter((p) => p.uf === wantedUf) : [];
  const only = inState.length === 1 ? inState[0] : places.length === 1 ? places[0] : undefined;
  if (only) return { city: only };
  const name = places[0]?.name;
  return name ? { sharedName: name } : {};
}

/** State names and codes, and municipality names (longest first), left to right. */
function scan(tokens: readonly Token[], g: Gazetteer): { states: StateMention[]; cities: CityMention[] } {
  const states: StateMention[] = [];
  const cities: CityMention[] = [];
  for (let i = 0; i < tokens.length; ) {
    const state = stateAt(tokens, i);
    const city = cityAt(tokens, i, g);
    const stateLen = state ? state.j - i : 0;
    const cityLen = city ? city.j - i : 0;
    if (city && cityLen > stateLen) {
      cities.push(city);
      i = city.j;
    } else if (state) {
      const namesake =
        city &&
        cityLen === stateLen &&
        NAMESAKE_CAPITALS.has(state.uf) &&
        !cuedBy(tokens, i, STATE_ONLY_CUES);
      const capital = capitalNamedAfter(state.uf, g);
      if (namesake && city) cities.push(city);
      else if (capital && cuedBy(tokens, i, CITY_PART_CUES))
        // "zona norte de SP": the city of São Paulo, with its state.
        cities.push({ i, j: state.j, key: placeKey(capital.name), places: [capital] });
      else if (!cuedBy(tokens, i, NEAR_CUES)) states.push(state);
      i = state.j;
    } else i++;
  }
  // A lowercase code after a city ("garanhuns pe") is its state.
  for (const c of cities) {
    const next = tokens[c.j];
    if (next && next.norm.length === 2 && next.norm.toUpperCase() in UFS && !states.some((s) => s.i === c.j))
      states.push({ i: c.j, j: c.j + 1, uf: next.norm.toUpperCase() });
  }
  states.sort((a, b) => a.i - b.i);
  return { states, cities };
}

/** The capital that bears its state's name (São Paulo, Rio de Janeiro), if this state has one. */
function capitalNamedAfter(uf: string, g: Gazetteer): Place | undefined {
  return NAMESAKE_CAPITALS.has(uf) ? capitalPlace(uf, g) : undefined;
}

function cityAt(tokens: readonly Token[], i: number, g: Gazetteer): CityMention | undefined {
  let key = "";
  let found: CityMention | undefined;
  for (let j = i; j < tokens.length && j - i < g.maxWords; j++) {
    const t = tokens[j];
    // A place name does not run across a comma or a slash.
    if (!t || (j > i && t.sep !== "" && t.sep !== "-" && t.sep !== "'")) break;
    key = j === i ? t.norm : `${key} ${t.norm}`;
    if (!g.prefixes.has(key)) break;
    const places = g.byKey.get(key);
    if (places) found = { i, j: j + 1, key, places };
  }
  return found;
}

function stateAt(tokens: readonly Token[], i: number): StateMention | undefined {
  for (let len = Math.min(4, tokens.length - i); len >= 1; len--) {
    const words = tokens.slice(i, i + len);
    const key = words.map((t) => t.norm).join(" ");
    const uf = STATE_KEYS.get(key);
    // "para" is a preposition; only "Pará" with its accent is the state.
    if (uf && !(uf === "PA" && !/á/i.test(words[0]?.text ?? ""))) return { i, j: i + len, uf };
  }
  const t = tokens[i];
  if (t?.norm.length !== 2) return undefined;
  const code = t.norm.toUpperCase();
  if (!(code in UFS)) return undefined;
  const typedAsCode = t.text === code && !shouting(tokens);
  const afterMark = t.sep === "/" || t.sep === "-" || t.sep === ",";
  const afterPreposition = WEAK_CUES.has(tokens[i - 1]?.norm ?? "") || cuedBy(tokens, i, STATE_ONLY_CUES);
  const alone = tokens.length === 1;
  if (typedAsCode || alone || ((afterMark || afterPreposition) && !COMMON_TWO_LETTER_WORDS.has(t.norm)))
    return { i, j: i + 1, uf: code };
  return undefined;
}

const split = new WeakMap<readonly string[], string[][]>();
const shouted = new WeakMap<readonly Token[], boolean>();
/** A message typed in capitals: its two-letter words are not UF codes by their case alone. */
function shouting(tokens: readonly Token[]): boolean {
  let all = shouted.get(tokens);
  if (all === undefined) {
    all = tokens.every((x) => !/\p{Ll}/u.test(x.text));
    shouted.set(tokens, all);
  }
  return all;
}

/** Whether the words right before position i are one of these cues. */
function cuedBy(tokens: readonly Token[], i: number, cues: readonly string[]): boolean {
  let lists = split.get(cues);
  if (!lists) {
    lists = cues.map((c) => c.split(" "));
    split.set(cues, lists);
  }
  return lists.some(
    (words) => i >= words.length && words.every((w, k) => tokens[i - words.length + k]?.norm === w),
  );
}

/**
 * How far the message is only a place (with fillers and the state) — all of it ("Garanhuns - PE",
 * "moro em BH") or its first clause ("Recife, por quê?") — as a token index; 0 when it is not.
 */
function answerLikeUpTo(tokens: readonly Token[], states: StateMention[], cities: CityMention[]): number {
  const covered = new Set<number>();
  for (const s of [...states, ...cities]) for (let k = s.i; k < s.j; k++) covered.add(k);
  const rest = (upTo: number) =>
    tokens.slice(0, upTo).filter((t, k) => !covered.has(k) && !ANSWER_FILLER.has(t.norm)).length;
  const all = rest(tokens.length);
  if (all === 0 || (cities.length === 0 && all <= 4 && tokens.length <= 8)) return tokens.length;
  const clauseEnd = tokens.findIndex((t, k) => k > 0 && /[,.;!?]/.test(t.sep));
  const inClause = clauseEnd > 0 && cities.some((c) => c.j <= clauseEnd) && rest(clauseEnd) === 0;
  return inClause ? clauseEnd : 0;
}

function accepts(
  tokens: readonly Token[],
  c: CityMention,
  states: StateMention[],
  g: Gazetteer,
  answerLike: boolean,
): boolean {
  if (answerLike) return true;
  if (cuedBy(tokens, c.i, STRONG_CUES)) return true;
  if (states.some((s) => s.i === c.j)) return true;
  const prev = tokens[c.i - 1];
  const weak = prev !== undefined && (WEAK_CUES.has(prev.norm) || prev.text === "é");
  // "vocês da Aurora", "o pessoal da Serra": with an article a single word is a name or a thing;
  // a town is "de Aurora", "em Aurora" (nicknames such as "do Rio" and longer names excepted).
  const article = prev !== undefined && ["do", "da", "no", "na"].includes(prev.norm);
  const capital = isCapitalized(tokens, c.i);
  const multiWord = c.j - c.i > 1;
  if (g.nicknames.has(c.key)) return weak || capital;
  if (multiWord) return weak || (capital && isCapitalized(tokens, c.j - 1));
  // "Maria, de recife": a preposition opening its own clause introduces a place.
  const opensClause = prev !== undefined && (prev.sep !== "" || c.i === 1);
  return weak && !article && (capital || prev?.norm === "em" || opensClause);
}

/** A name typed with a small typo, where the message says a place comes: an answer or after a strong cue. */
function fuzzyCity(
  tokens: readonly Token[],
  states: StateMention[],
  g: Gazetteer,
  answerLike: boolean,
): CityMention | undefined {
  const stateAt = new Set(states.flatMap((s) => Array.from({ length: s.j - s.i }, (_, k) => s.i + k)));
  const starts: number[] = [];
  if (answerLike) {
    const first = tokens.findIndex((t, k) => !stateAt.has(k) && !ANSWER_FILLER.has(t.norm));
    if (first >= 0) starts.push(first);
  }
  for (let i = 1; i < tokens.length; i++) if (cuedBy(tokens, i, STRONG_CUES)) starts.push(i);
  for (const i of starts) {
    // The longest run first: "vitoria da conquist" is Vitória da Conquista, not Vitória.
    for (let len = 4; len >= 1; len--) {
      const words = tokens.slice(i, i + len);
      if (words.length < len || words.some((_t, k) => stateAt.has(i + k))) continue;
      if (words.slice(1).some((t) => t.sep !== "" && t.sep !== "-")) continue;
      // A word of the sentence itself ("capital", "cidade") is not a misspelt town (Capitão).
      if (words.every((t) => ANSWER_FILLER.has(t.norm))) continue;
      const found = closest(words.map((t) => t.norm).join(" "), g);
      if (found) return { i, j: i + len, key: found, places: g.byKey.get(found) ?? [] };
    }
  }
  return undefined;
}

function closest(typed: string, g: Gazetteer): string | undefined {
  if (typed.length < 5) return undefined;
  let best: { key: string; d: number; tie: boolean } | undefined;
  for (const key of g.byShape.get(shapeOf(typed)) ?? []) {
    if (Math.abs(key.length - typed.length) > 2) continue;
    const d = editDistance(typed, key);
    if (d > typoBudget(key.length)) continue;
    if (!best || d < best.d) best = { key, d, tie: false };
    else if (d === best.d) best.tie = true;
  }
  return best && !best.tie ? best.key : undefined;
}
