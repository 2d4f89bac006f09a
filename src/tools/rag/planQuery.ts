import { editDistance, foldText, wordsOf } from "./foldText.ts";

/** The pages' vocabulary: folded word → the spellings in the pages (accents) and their chunk count. */
export type Vocabulary = Map<string, { words: string[]; df: number }>;

export type QueryPlan = {
  /** Words to stem and search; `group` is the question word each one stands for. */
  words: string[];
  weights: number[];
  groups: number[];
};

/**
 * How customers frame a question on WhatsApp, beyond PostgreSQL's Portuguese stop words ("quais",
 * "preciso", "tem"): searching them only adds noise, and they would dilute the coverage score.
 * Folded forms.
 */
const QUESTION_FILLERS = new Set(
  (
    "qual quais quanto quantos quanta quantas onde quando porque tem ter tenho ha existe existem " +
    "posso pode podem poderia preciso precisa precisam precisaria devo deve sei saber queria quero " +
    "gostaria ver fazer faco faz vou vai seria sobre coisa ai la entao oi ola bom boa dia tarde noite " +
    "obrigado obrigada favor duvida pergunta alguem gente me minha meu meus minhas voces aqui isso dai " +
    "ate consigo conseguir consegue"
  ).split(" "),
);

/** A corrected spelling counts a little less than what the customer typed. */
const CORRECTED_WEIGHT = 0.8;

/**
 * Turns a customer's question into search words. Each question word keeps its own form and gains
 * the pages' accented spelling of it ("instalacao" → "instalação", which Portuguese stemming needs)
 * or, when the pages never use it, the closest page word within one or two typos
 * ("fidelidadi" → "fidelidade"; same first letter, as typing slips rarely hit it). Pure.
 */
export function planQuery(question: string, vocabulary: Vocabulary): QueryPlan {
  const plan: QueryPlan = { words: [], weights: [], groups: [] };
  const seen = new Set<string>();
  wordsOf(question).forEach((word, group) => {
    const add = (w: string, weight: number) => {
      if (seen.has(w)) return;
      seen.add(w);
      plan.words.push(w);
      plan.weights.push(weight);
      plan.groups.push(group);
    };
    const folded = foldText(word);
    if (QUESTION_FILLERS.has(folded)) return;
    add(word, 1);
    const known = vocabulary.get(folded);
    if (known) {
      for (const w of known.words) add(w, 1);
      return;
    }
    if (folded.length < 4 || /\d/.test(folded)) return;
    for (const w of closestWords(folded, vocabulary)) add(w, CORRECTED_WEIGHT);
  });
  return plan;
}

function closestWords(folded: string, vocabulary: Vocabulary): string[] {
  const max = folded.length >= 8 ? 2 : 1;
  let best = max + 1;
  let bestDf = -1;
  let found: string[] = [];
  for (const [candidate, entry] of vocabulary) {
    if (candidate[0] !== folded[0] || Math.abs(candidate.length - folded.length) > max) continue;
    const d = editDistance(folded, candidate, max);
    if (d < best || (d === best && d <= max && entry.df > bestDf)) {
      best = d;
      bestDf = entry.df;
      found = entry.words;
    }
  }
  return best <= max ? found : [];
}
