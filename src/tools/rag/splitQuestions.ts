import { foldText, wordsOf } from "./foldText.ts";

/** Greetings, courtesy and filler: a sentence made only of these carries no question. Folded. */
const COURTESY = new Set(
  (
    "oi ola ole opa eai eae alo hello hi hey bom boa dia dias tarde tardes noite noites tudo bem ok okay " +
    "beleza certo obrigado obrigada valeu entendi hum hmm ah aham uhum hein ue e ai tchau ate logo moca " +
    "moco amigo amiga pessoal gente senhor senhora mano meu rei uai oxe egua visse po entao enfim " +
    "desculpa desculpe perdao incomodar kkk kkkk kkkkk rs haha favor por com voces voce como vai " +
    "estao esta estou td tranquilo"
  ).split(" "),
);

export type QuestionParts = {
  /** The question sentences (at least one when the message has any words). */
  questions: string[];
  /** Everything else the customer wrote (personal context), searched at a lower weight. */
  context: string;
};

/**
 * Finds the question(s) in a WhatsApp message: greeting-only sentences are dropped, sentences
 * ending in "?" are the questions and the rest is context ("moro em Contagem, a conta vem 600…");
 * a message without "?" is one question. Two "?" sentences are two questions. Pure.
 */
export function splitQuestions(message: string): QuestionParts {
  const sentences = (message.replace(/\s+/g, " ").match(/[^.!?;\n]+[.!?;\n]*/g) ?? [])
    .map((s) => s.trim())
    .filter((s) => !isCourtesy(s));
  const asked = sentences.filter((s) => /\?\s*$/.test(s));
  if (asked.length === 0) return { questions: sentences.length ? [sentences.join(" ")] : [], context: "" };
  // "e tem multa?" right after "se eu quiser sair depois tem multa?" is one question split by "?";
  // very short follow-ups join the one before them.
  const questions: string[] = [];
  for (const q of asked) {
    const last = questions.length - 1;
    if (last >= 0 && contentWords(q) < 2) questions[last] = `${questions[last]} ${q}`;
    else questions.push(q);
  }
  return { questions, context: sentences.filter((s) => !asked.includes(s)).join(" ") };
}

function isCourtesy(sentence: string): boolean {
  const words = wordsOf(sentence).map(foldText);
  return words.length > 0 && words.every((w) => COURTESY.has(w));
}

function contentWords(text: string): number {
  return wordsOf(text).filter((w) => foldText(w).length >= 4).length;
}
