import { normalizeWords } from "./normalizeText.ts";

export type Intent = "opt_out" | "opt_in" | "human" | "question";

const OPT_OUT_WORDS = new Set(["parar", "pare", "sair", "cancelar", "stop", "descadastrar", "remover"]);
const MESSAGES = "(?:mensagens?|msgs?|mensagem|zap|whats|nada)";
const OPT_OUT_PHRASES = [
  /\bnao quero (mais )?receber\b/,
  /\b(?:pode )?par(?:e|a|ar|em) de (?:me )?(?:mandar|enviar|mandarem|enviarem)\b/,
  /\bnao (me )?(mande|mandem|envie|enviem|manda) mais\b/,
  /\bme (tira|tire|tirem|remova|remove|removam|exclua|exclui|excluam|descadastra|descadastre)\b.*\b(lista|contatos?|cadastro|numero)\b/,
  new RegExp(String.raw`\bnao quero mais ${MESSAGES}\b`),
  new RegExp(String.raw`\bchega de ${MESSAGES}\b`),
  /^nao quero mais$/,
  /\bdescadastr(?:a|e|ar|em) (?:o )?(?:meu numero|me|este numero|esse numero)\b/,
];
const OPT_IN = [/^voltar$/, /\bquero voltar a receber\b/, /\bpode (me )?mandar mensage(m|ns)\b/];
const PEOPLE =
  "(?:atendente|humano|pessoa|alguem|gente|vendedor|vendedora|consultor|consultora|especialista|gerente)";
const HUMAN = [
  new RegExp(String.raw`\b(falar|conversar) com (um |uma |o |a )?${PEOPLE}\b`),
  /^(atendente|humano|pessoa real)$/,
  /\bquero (um |uma )?(atendente|humano|pessoa)\b/,
  /\b(atendimento|atendente) humano\b/,
  new RegExp(
    String.raw`\bme (passa|passe|transfere|transfira|encaminha|encaminhe) (pra|para|pro) (um |uma |o |a )?${PEOPLE}\b`,
  ),
  /\b(alguem|pessoa|humano|gente)( ai)? de verdade\b/,
  /\b(me liga|me ligue|me ligar|liga pra mim|ligar pra mim)\b/,
];
/**
 * Insults and swearing aimed at the bot or the company: an angry or abusive customer goes to a
 * person (the contract's hand-off rule), whatever else the message says.
 */
const ABUSE =
  /\b(porra|caralho|merda|bosta|fdp|vsf|vtnc|pqp|puta|puto|foder|fuder|foda|fudido|fodido|idiota|imbecil|otario|otaria|babaca|palhacada|palhaco|ladrao|ladroes|lixo|cacete|desgraca|desgracado|arrombado|vagabundo|vagabunda|corno|safado|safada|golpista|golpistas|enganacao|picaretagem|picareta)\b/;
const QUESTION_START =
  /^(como|qual|quais|quanto|quanta|quantos|quando|onde|por que|porque|pq|o que|oque|tem|e se|posso|pode|da pra|funciona|voces)\b/;

/**
 * Keyword intents for the degraded mode, checked before any slot: opt-out (a stop word alone, or a
 * clear request — a word inside another sentence, "preciso sair agora", is not), opt-in, asking for
 * a person, and a question off the script.
 */
export function detectIntent(text: string): Intent | undefined {
  const t = normalizeWords(text);
  if (!t) return undefined;
  if (OPT_OUT_WORDS.has(t) || OPT_OUT_PHRASES.some((p) => p.test(t))) return "opt_out";
  if (OPT_IN.some((p) => p.test(t))) return "opt_in";
  if (HUMAN.some((p) => p.test(t)) || ABUSE.test(t)) return "human";
  if (text.trim().endsWith("?") || QUESTION_START.test(t)) return "question";
  return undefined;
}
