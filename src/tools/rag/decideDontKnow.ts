import type { Evidence } from "./createKnowledgeBase.ts";
import { foldText, wordsOf } from "./foldText.ts";
import { needsLiveData } from "./needsLiveData.ts";
import { relevance } from "./rankPages.ts";
import { hasNumber } from "./statesCount.ts";

export type DontKnowReason = "no_match" | "out_of_scope" | "live_data";

/** Below this share of the question's (idf-weighted) words, the best page is about something else. */
export const MIN_COVERAGE = 0.28;

/**
 * A best page both weak in absolute terms (relevance below this) and matching the question only in
 * part (strength below STRONG) shares a word or two with it by chance. Calibrated on the dev set's
 * odd half and the project's probes (`npm run eval:faq`): the boundary between the out-of-scope
 * questions answered with a loose passage and the answerable ones.
 */
const WEAK = 0.5;
const STRONG = 0.75;

/** Share of the question's content words the knowledge base never uses that makes it about something else. */
const MOSTLY_UNKNOWN = 0.6;

/**
 * "Não sei" as its own decision, from general evidence: a question needing live or personal data
 * (today's price, next month's flag, the customer's own invoice, a competitor); a best page that
 * holds too little of the question; a question about a thing or an action ("vocês têm aplicativo?",
 * "dá pra parcelar?") that the best page never mentions; a question asking for a
 * number or an identifier ("quanto", "qual o CNPJ") whose best sentences hold none. Returns the
 * reason, or undefined when the answer may be given. Pure.
 */
export function decideDontKnow(
  question: string,
  evidence: Evidence,
  excerpt: string,
): DontKnowReason | undefined {
  if (needsLiveData(question)) return "live_data";
  if (evidence.best <= 0 || !excerpt) return "no_match";
  if (evidence.coverage < MIN_COVERAGE) return "no_match";
  // "quantos clientes vocês têm?": a page sharing a word or two, weakly, is no answer; a short
  // question matched in full ("tem fidelidade?") scores low in absolute terms but is answered.
  if (relevance(evidence.best) < WEAK && evidence.strength < STRONG) return "no_match";
  // "previsão do tempo pra amanhã": most of the question is words the pages never use.
  if (evidence.words > 0 && evidence.unknown.length / evidence.words >= MOSTLY_UNKNOWN) return "out_of_scope";
  // "vocês têm aplicativo?", "dá pra parcelar?": the thing asked about must be on the answer page.
  if (evidence.focus && !evidence.focus.onBestPage) return "out_of_scope";
  // "qual o endereço do escritório?": the thing asked about must be named in one section of the page.
  if (evidence.asked && !evidence.asked.inSection) return "out_of_scope";
  // "quantos clientes vocês têm?": no page near the top gives a number of them.
  if (evidence.counted === false) return "out_of_scope";
  if (asksForFigure(question) && !hasNumber(excerpt)) return "no_match";
  return undefined;
}

/** "quanto", "quantos", "qual o valor / preço / CNPJ / número": the answer is a figure. */
export function asksForFigure(question: string): boolean {
  const words = wordsOf(question).map(foldText).join(" ");
  return /\b(quanto|quanta|quantos|quantas)\b|\bqual (e )?(o|a) (valor|preco|numero|cnpj|cpf|percentual|porcentagem|telefone|codigo)\b/.test(
    words,
  );
}

/**
 * "minha conta é de 120 reais, consigo?": the customer gives an amount, so the sentences with
 * figures (the minimum, the limit) are the ones that answer.
 */
export function givesAmount(question: string): boolean {
  return /r\$\s*\d|\b\d+([.,]\d+)?\s*(reais|real|conto|contos|pila|kwh|%)/i.test(question);
}
