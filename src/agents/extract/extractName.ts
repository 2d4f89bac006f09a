import { NOT_NAME_CONTINUATION, NOT_NAME_WORDS } from "./notNameWords.ts";
import { isCapitalized, type Token, tokenize } from "./tokenize.ts";

/** A name the customer stated, and where it is in the message (so no place is read there). */
export type NameReading = {
  name: string;
  start: number;
  end: number;
  /** Introduced by a phrase ("meu nome é…"), not just a message that looks like a name. */
  stated: boolean;
};

/**
 * Phrases that introduce the speaker's name. `capital`: only before a capitalised word. `title`:
 * only where the speaker's words begin. `casedIfCapitals`: in a message written with capitals,
 * only before a capitalised word ("aqui é o endereço", "sou o cara" are not names).
 */
const INTRODUCER_LIST: readonly {
  words: string;
  capital?: boolean;
  title?: boolean;
  casedIfCapitals?: boolean;
}[] = [
  { words: "meu nome e" },
  { words: "meu nome eh" },
  { words: "meu nome" },
  { words: "o meu nome e" },
  { words: "nome e" },
  { words: "me chamo" },
  { words: "eu me chamo" },
  { words: "pode me chamar de" },
  { words: "pode chamar de" },
  { words: "me chama de" },
  { words: "me chamam de" },
  { words: "podem me chamar de" },
  { words: "aqui e o", casedIfCapitals: true },
  { words: "aqui e a", casedIfCapitals: true },
  { words: "aqui eh o", casedIfCapitals: true },
  { words: "aqui eh a", casedIfCapitals: true },
  { words: "quem fala e o", casedIfCapitals: true },
  { words: "quem fala e a", casedIfCapitals: true },
  { words: "aqui e", capital: true },
  { words: "sou o", casedIfCapitals: true },
  { words: "sou a", casedIfCapitals: true },
  { words: "eu sou o", casedIfCapitals: true },
  { words: "eu sou a", casedIfCapitals: true },
  { words: "sou", capital: true },
  { words: "my name is" },
  { words: "i am", capital: true },
  { words: "im", capital: true },
  { words: "dona", title: true },
  { words: "seu", capital: true, title: true },
  { words: "sr", capital: true, title: true },
  { words: "sra", capital: true, title: true },
  { words: "senhor", capital: true, title: true },
  { words: "senhora", capital: true, title: true },
];
const INTRODUCERS = INTRODUCER_LIST.map((i) => ({ ...i, split: i.words.split(" ") }));
/** Words before a name given as the answer ("sou fernanda", "é o Zé", "eu, Maria"). */
const LEAD_INS = new Set(["sou", "eu", "o", "a", "aqui", "nome", "meu"]);
/** Words after a name given alone that do not make it a sentence ("Marcelo aqui"). */
const TRAILING = new Set(["aqui", "mesmo", "falando", "prazer"]);
/** Laughs, hesitations and words with no vowel ("kkk", "hmm", "rsrs", "ahn"): never a name. */
const NOISE = /^(?:[^aeiouy]+|k+|(?:ha|he|hi|hu)+h?|(?:rs)+|h+m+|a+h+n*|e+h+|u+h+|u+m+|h+u+m+)$/;
/** Words that join a full name ("Rita de Cássia", "João da Silva"). */
const PARTICLES = new Set(["da", "de", "do", "das", "dos"]);
/** Titles dropped from a name given alone ("Dona Maria" → "Maria"). */
const TITLES = new Set(["dona", "seu", "sr", "sra", "senhor", "senhora", "dr", "dra"]);
const GREETINGS = new Set([
  "oi",
  "ola",
  "oie",
  "opa",
  "bom",
  "boa",
  "dia",
  "tarde",
  "noite",
  "tudo",
  "bem",
  "e",
  "ai",
  "prazer",
  "muito",
]);

/**
 * The name a message states anywhere in it: "meu nome é Gustavo Schmitt, moro em Joinville",
 * "aqui é o João Pedro", "Sou a Beatriz, de Goiânia", "Dona Maria", "pode me chamar de Zé" — the
 * words after the phrase up to a comma or a word that is not a name ("Rafael e sou do Rio" →
 * Rafael). "Sou de Recife", "sou casada" are not names.
 */
export function findStatedName(text: string): NameReading | undefined {
  const tokens = tokenize(text.slice(0, 2000));
  for (let i = 0; i < tokens.length; i++) {
    for (const intro of INTRODUCERS) {
      const words = intro.split;
      if (!words.every((w, k) => tokens[i + k]?.norm === w)) continue;
      let at = i + words.length;
      // The introducer is one phrase: "aqui, é" is not "aqui é".
      if (tokens.slice(i + 1, at).some((t) => t.sep !== "" && t.sep !== "'")) continue;
      const cased = /^\p{Lu}/u.test(tokens[at]?.text ?? "");
      if (intro.capital && !cased) continue;
      if (intro.casedIfCapitals && !cased && writesCapitals(tokens) && !TITLES.has(tokens[at]?.norm ?? ""))
        continue;
      // "Dona Maria" speaks for herself only where her words begin, not in "a filha da dona Maria".
      if (intro.title && !opensWords(tokens, i)) continue;
      // "aqui é a Dona Célia": the title goes.
      if (!intro.title && TITLES.has(tokens[at]?.norm ?? "")) at++;
      const name = nameAt(tokens, at);
      if (name) return { ...name, stated: true };
    }
  }
  return undefined;
}

/** Position i starts the message, a clause, or follows a greeting. */
function opensWords(tokens: readonly Token[], i: number): boolean {
  return i === 0 || (tokens[i]?.sep ?? "") !== "" || GREETINGS.has(tokens[i - 1]?.norm ?? "");
}

/**
 * A name given as the answer to "qual é o seu nome?": a stated one, or the message itself (or its
 * first clause: "Ana Paula, de Recife") when it is only a name — one to five words, letters only,
 * none a greeting, intent, function word or English. Titles are dropped.
 */
export function extractName(text: string): string | undefined {
  return readNameAnswer(text)?.name;
}

export function readNameAnswer(text: string): NameReading | undefined {
  const stated = findStatedName(text);
  if (stated) return stated;
  const tokens = tokenize(text.slice(0, 300));
  let i = 0;
  // "Oi, Maria aqui" / "Bom dia! Carla" / "sou fernanda" / "é o Zé": lead-ins before the name.
  while (
    i < tokens.length - 1 &&
    (GREETINGS.has(tokens[i]?.norm ?? "") || LEAD_INS.has(tokens[i]?.norm ?? ""))
  )
    i++;
  if (TITLES.has(tokens[i]?.norm ?? "")) i++;
  const clause = firstClause(tokens, i);
  if (clause.length === 0 || /\d/.test(text.slice(clause[0]?.start, clause.at(-1)?.end))) return undefined;
  // Asked for, the name's first word counts however it is typed ("sou a fernanda de Recife").
  const found = nameAt(tokens, i, clause.length, true);
  if (!found) return undefined;
  const name = { ...found, stated: false };
  if (name.end === clause.at(-1)?.end) return name;
  // "Marcelo aqui", "Rafael e sou do Rio": the name, then words that are not a name.
  const after = clause.filter((t) => t.start >= name.end);
  const tail = after.every((t) => TRAILING.has(t.norm));
  // "Ana moro em Recife", "Rafael e sou do Rio": a sentence goes on after the name.
  const more = NOT_NAME_CONTINUATION.has(after[0]?.norm ?? "") && after[0]?.norm !== "de";
  return tail || more ? name : undefined;
}

function firstClause(tokens: readonly Token[], i: number): Token[] {
  const clause: Token[] = [];
  for (let k = i; k < tokens.length; k++) {
    const t = tokens[k];
    if (!t || (k > i && t.sep !== "" && t.sep !== "-" && t.sep !== "'")) break;
    clause.push(t);
  }
  return clause;
}

/** Up to five name words from position i (particles only between names), or nothing. */
function nameAt(
  tokens: readonly Token[],
  i: number,
  limit = 5,
  anyCaseFirst = false,
): Omit<NameReading, "stated"> | undefined {
  const words: Token[] = [];
  for (let k = i; k < tokens.length && words.length < limit; k++) {
    const t = tokens[k];
    if (!t) break;
    if (k > i && t.sep !== "" && t.sep !== "-" && t.sep !== "'") break;
    const particle = PARTICLES.has(t.norm) && words.length > 0;
    const first = words.length === 0;
    if (!particle && !isNameWord(tokens, k, first, first && anyCaseFirst)) break;
    words.push(t);
  }
  while (words.length > 0 && PARTICLES.has(words.at(-1)?.norm ?? "")) words.pop();
  const first = words[0];
  const last = words.at(-1);
  if (!first || !last) return undefined;
  // "Ana-Clara" keeps its hyphen.
  const name = words
    .map((w, k) => (k > 0 && w.sep === "-" ? "-" : k > 0 ? " " : "") + casing(w.text, k))
    .join("");
  return { name, start: first.start, end: last.end };
}

/** A word of a name; the first one also must not be a greeting, an intent or a word of the trade. */
function isNameWord(tokens: readonly Token[], k: number, first: boolean, anyCase = false): boolean {
  const t = tokens[k];
  if (!t || !/^\p{L}[\p{L}'’-]*$/u.test(t.text) || t.norm.length < 2) return false;
  const blocked = first ? NOT_NAME_WORDS : NOT_NAME_CONTINUATION;
  if (blocked.has(t.norm) || TITLES.has(t.norm) || NOISE.test(t.norm)) return false;
  // In a message written in lowercase any word may be a name; with capitals, a lowercase word
  // after a name is the rest of the sentence ("Marcelo aqui", "João moro em…").
  return anyCase || !writesCapitals(tokens) || /^\p{Lu}/u.test(t.text) || k === 0;
}

/** The customer writes with capitals somewhere besides the start of a sentence. */
function writesCapitals(tokens: readonly Token[]): boolean {
  return tokens.some((_, j) => isCapitalized(tokens, j));
}

function casing(word: string, index: number): string {
  const lower = word.toLocaleLowerCase("pt-BR");
  if (index > 0 && PARTICLES.has(lower)) return lower;
  // "d'ávila" → "D'Ávila": a capital after the apostrophe too.
  return lower.replace(
    /(^|['’])(\p{L})/gu,
    (_, mark: string, letter: string) => mark + letter.toLocaleUpperCase("pt-BR"),
  );
}

/**
 * "Ana de Recife": a name whose tail after "de/da/do" is a well-known place (a capital, a city of
 * the operator's) is the name and where the customer is from; "Rita de Cássia" stays whole.
 */
export function withoutPlaceTail(name: NameReading, isKnownPlace: (words: string) => boolean): NameReading {
  const words = name.name.split(" ");
  const at = words.findIndex(
    (w, i) => i > 0 && PARTICLES.has(w) && isKnownPlace(words.slice(i + 1).join(" ")),
  );
  if (at <= 0) return name;
  const kept = words.slice(0, at).join(" ");
  return { ...name, name: kept, end: name.start + kept.length };
}
