import { foldText, wordsOf } from "./foldText.ts";
import { isContentWord } from "./stopWords.ts";

/*
 * Yes/no questions about a feature: "vocês têm aplicativo?", "dá pra parcelar?", "aceita cartão?",
 * "é possível transferir?". The first content word after the opener is what the customer wants
 * to know exists; a page that never mentions it cannot answer, however many other words it shares.
 */
const OPENER =
  /\b(da para|tem como|e possivel|voces tem|voces possuem|voces oferecem|voces fazem|voces aceitam|aceita|aceitam|existe|consigo|posso)\b/;

/** A question word before the opener: a wh-question, not a yes/no one. */
const INTERROGATIVE = /\b(quanto|quanta|quantos|quantas|qual|quais|quando|onde|como|quem|porque)\b/;

/** Verbs too general to be what is asked about ("dá pra colocar a conta…" asks about the conta). */
const GENERIC = new Set(
  "colocar botar usar fazer passar mandar enviar receber ficar entrar pegar levar trocar continuar ter".split(
    " ",
  ),
);

/** The folded word a yes/no feature question asks about, if the question is one. Pure. */
export function focusOf(question: string): string | undefined {
  // The last clause asks; an earlier one is context ("vi que vocês têm um esquema de boleto único,
  // vocês pagam a conta por mim?" asks whether they pay, not about the "esquema").
  const clauses = question.split(/[,;:]/).filter((c) => wordsOf(c).length > 0);
  const words = wordsOf(clauses.at(-1) ?? "").map(foldText);
  const text = words.join(" ");
  const m = OPENER.exec(text);
  // "quantas usinas vocês têm funcionando?" asks for a number, not whether something exists.
  if (!m || INTERROGATIVE.test(text.slice(0, m.index))) return undefined;
  const after = text
    .slice(m.index + m[0].length)
    .split(" ")
    .filter(Boolean);
  return after.slice(0, 4).find((w) => isContentWord(w) && !/^\d+$/.test(w) && !GENERIC.has(w));
}
