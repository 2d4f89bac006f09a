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

/**
 * True when a message has nothing to answer: empty, punctuation, a greeting or acknowledgement
 * ("oi", "ok", "tenho uma dúvida"), or a lone word of one or two letters. A single real word
 * ("fidelidade?") is a fine question and is searched. Pure.
 */
export function needsClarification(text: string): boolean {
  const words = wordsOf(text).map(foldText);
  if (words.length === 0) return true;
  if (words.every((w) => NOT_A_QUESTION.has(w))) return true;
  return words.length === 1 && (words[0]?.length ?? 0) <= 2;
}
