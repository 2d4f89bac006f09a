import { foldText, wordsOf } from "./foldText.ts";

/** Greetings, acknowledgements and "I have a question" without the question: nothing to search. */
const NOT_A_QUESTION = new Set(
  (
    "oi ola ole opa eai eae alo hello hi hey bom boa dia tarde noite tudo bem ok okay blz beleza certo " +
    "sim nao obrigado obrigada valeu vlw entendi hum hmm ah aham uhum hein ue e ai tchau ate logo " +
    "duvida duvidas pergunta perguntas ajuda ajudar informacao informacoes info tenho uma umas queria " +
    "quero saber gostaria de da do por favor pf pfv moca moço moco amigo"
  ).split(" "),
);

/** Longer than this, a message is not one question: the customer is asked to say it briefly. */
export const MAX_QUESTION_CHARS = 1200;

/*
 * Words that mark an English or Spanish message (and are not Portuguese words): the pages are in
 * Portuguese, so such a question gets a short request to write in Portuguese, never a passage.
 */
const FOREIGN = new Set(
  (
    "the what how is are do does can you your my i we they which when where why price discount " +
    "cuanto cuesta cual como puedo tengo usted ustedes hay precio descuento pagar quiero el los las es"
  ).split(" "),
);
const PORTUGUESE = new Set(
  "que nao voce voces tem qual quanto como posso meu minha sou para pra com de do da em no na uma um e o a os as".split(
    " ",
  ),
);

/**
 * True when a message has nothing to answer: empty, punctuation or emoji only, a greeting or
 * acknowledgement ("oi", "ok", "tenho uma dúvida"), a lone word of one or two letters, a message
 * too long to be one question, or a question in English or Spanish. A single real word
 * ("fidelidade?") is a fine question and is searched. Pure.
 */
export function needsClarification(text: string): boolean {
  if (text.length > MAX_QUESTION_CHARS) return true;
  const words = wordsOf(text).map(foldText);
  if (words.length === 0) return true;
  if (words.every((w) => NOT_A_QUESTION.has(w))) return true;
  if (words.length === 1 && (words[0]?.length ?? 0) <= 2) return true;
  return isForeign(foldText(text).match(/[\p{L}]+/gu) ?? []);
}

/** More English/Spanish marker words than Portuguese function words, in a message of some length. */
function isForeign(words: string[]): boolean {
  if (words.length < 3) return false;
  const foreign = words.filter((w) => FOREIGN.has(w) && !PORTUGUESE.has(w)).length;
  const portuguese = words.filter((w) => PORTUGUESE.has(w)).length;
  return foreign >= 2 && foreign > portuguese;
}
