import { foldText, wordsOf } from "./foldText.ts";
import { isContentWord, STOP_WORDS } from "./stopWords.ts";

/**
 * What a question asks about, from the frame Portuguese puts it in: the thing of "qual o X (de Y)?",
 * "quem é o X?", "onde fica X?", the object of "vocês vendem X?" and the counted thing of
 * "quantos X?" (the counted thing). A page can share every other word of the question ("a aurora", "vocês", "energia")
 * and still say nothing about that thing, which is when the answer is "não sei".
 */
export type AskedThing = {
  /** Folded words that name the thing; the section that answers must hold all of them. */
  words: string[];
  /** "quantos X?": the answer is a number of X ("8 usinas", "duas contas"). */
  count?: boolean;
};

/*
 * Nouns that name an attribute, not a thing ("qual o valor da conta?", "qual o tamanho máximo do
 * arquivo?"): the thing is the word after them, the one after "de".
 */
const ATTRIBUTES = new Set(
  (
    "valor valores preco precos custo tamanho prazo prazos nome numero horario horarios hora horas dia " +
    "dias data datas tipo tipos forma formas jeito limite maximo minimo minima maxima total percentual " +
    "porcentagem quantidade media regra regras diferenca vantagem vantagens problema melhor pior maior " +
    "menor principal unico unica risco riscos perigo chance garantia beneficio desvantagem motivo razao " +
    "maneira modo"
  ).split(" "),
);
/**
 * Units a figure is written with ("R$ 80", "20%") and units of time, which pages write in another
 * unit than the customer ("quantos meses demora?" / "60 a 90 dias"): these name no thing.
 */
const UNITS = new Set(
  "reais real conto contos pila porcento porcentos cento pct dias meses anos semanas horas minutos ciclos".split(
    " ",
  ),
);
const PREPOSITIONS = new Set("de do da dos das pra para pro no na nos nas em com por pelo pela".split(" "));

/**
 * Verbs too general to have a thing as their object ("vocês podem…", "vocês ficam…"), and verbs of
 * serving an area, whose object is a place ("vocês atendem Ribeirão Preto?"), not a thing.
 */
const GENERIC_VERBS = new Set(
  "podem tem sao estao vao ficam dao acham sabem querem atendem chegam funcionam operam cobrem".split(" "),
);
/** Question words: "qual o desconto de quem é da CEMIG?" asks about the desconto. */
const INTERROGATIVES = new Set("quem onde quando como qual quais porque".split(" "));

/** The thing a question asks about, when its frame shows one. Pure. */
export function askedThing(question: string): AskedThing | undefined {
  const words = wordsOf(question).map(foldText);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? "";
    const next = words.slice(i + 1);
    if (w === "quantos" || w === "quantas") {
      const thing = headOf(next);
      if (thing[0] && !UNITS.has(thing[0])) return { words: thing.slice(0, 1), count: true };
    }
    if (
      w === "qual" ||
      w === "quais" ||
      (w === "quem" && /^(e|eh|sao|seria|seriam|era|eram|foi|foram)$/.test(next[0] ?? ""))
    ) {
      const thing = thingAfterAttribute(skipLinking(next));
      if (thing.length) return { words: thing };
    }
    if (w === "onde" && /^(fica|ficam|compro|compra|encontro|acho|tem)$/.test(next[0] ?? "")) {
      const thing = headOf(next.slice(1));
      if (thing.length) return { words: thing };
    }
    if ((w === "voces" || w === "aurora") && isThingVerb(next[0] ?? "")) {
      // Only a direct object: "vocês atendem em Portugal" names a place, not a thing sold.
      const thing = headOf(next.slice(1), false);
      if (thing.length) return { words: thing };
    }
  }
  return undefined;
}

/** A present-tense plural verb ("vendem", "instalam", "cobram") that is not a general one. */
function isThingVerb(word: string): boolean {
  return word.length >= 5 && /(am|em)$/.test(word) && !GENERIC_VERBS.has(word) && isContentWord(word);
}

/** "é o", "seria a", "são os": what comes between "qual" and the thing. */
function skipLinking(words: string[]): string[] {
  let i = 0;
  while (i < words.length && /^(e|eh|seria|seriam|sao|era|eram|foi|foram|o|a|os|as)$/.test(words[i] ?? ""))
    i++;
  return words.slice(i);
}

/**
 * The noun right after an article or a possessive, with an adjective that follows it directly
 * ("energia eólica"); with `lenient`, articles may be skipped. Empty when a function word or a
 * verb-like filler comes first.
 */
function headOf(words: string[], lenient = true): string[] {
  let i = 0;
  while (i < words.length && STOP_WORDS.has(words[i] ?? "") && !PREPOSITIONS.has(words[i] ?? "")) i++;
  if (!lenient && i > 0 && PREPOSITIONS.has(words[i] ?? "")) return [];
  const head = words[i];
  if (!head || !isContentWord(head) || /^\d/.test(head) || INTERROGATIVES.has(head)) return [];
  const after = words[i + 1];
  const modifier = after && isContentWord(after) && !/^\d/.test(after) && !ATTRIBUTES.has(after);
  return modifier && !INTERROGATIVES.has(after) ? [head, after] : [head];
}

/** "valor mínimo da conta" → conta; "salário de um atendente" → salário, atendente. */
function thingAfterAttribute(words: string[]): string[] {
  const first = words[0];
  if (!first || !isContentWord(first)) return [];
  let i = 0;
  while (i < words.length && ATTRIBUTES.has(words[i] ?? "")) i++;
  if (i === 0) {
    // The thing, with what it belongs to ("endereço do escritório"): the answer holds both.
    const of = PREPOSITIONS.has(words[1] ?? "") && /^d/.test(words[1] ?? "") ? headOf(words.slice(2)) : [];
    return [first, ...of.slice(0, 1)];
  }
  // "valor mínimo da conta" → conta; "melhor plano" → plano.
  const rest =
    /^d/.test(words[i] ?? "") && PREPOSITIONS.has(words[i] ?? "") ? words.slice(i + 1) : words.slice(i);
  return headOf(rest).slice(0, 1);
}
