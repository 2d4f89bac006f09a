import { foldText, wordsOf } from "./foldText.ts";

/*
 * Questions whose answer is not in any knowledge page because it changes or belongs to one
 * customer: today's price, a future tariff flag or readjustment, the customer's own invoice,
 * sign-up or contract status, a competitor. The pages may share many words with them ("bandeira",
 * "fatura"), so retrieval alone would answer with a loosely related passage. Matched on the words
 * with shorthand expanded, accents folded.
 */
const MONTHS = "janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro";
const PRICE =
  "preco|precos|valor|tarifa|tarifas|kwh|bandeira|bandeiras|reajuste|aumento|custa|custando|cobrando";
const KINDS: RegExp[] = [
  // Today's or the current price.
  new RegExp(
    `\\b(hoje|agora|atual|atualmente|neste momento|nesse momento|deste mes|desse mes|este mes|esse mes)\\b.*\\b(${PRICE})\\b|\\b(${PRICE})\\b.*\\b(hoje|agora|atual|atualmente|neste momento|deste mes|desse mes)\\b`,
  ),
  // The future: next month's flag, a coming readjustment, a forecast.
  new RegExp(
    `\\b(proximo|proxima|que vem|ano que vem|em (${MONTHS})|de (${MONTHS})|previsao|vai ser|vao ser|vai aumentar|vai subir|vai baixar|vai cair|vai mudar)\\b.*\\b(${PRICE}|reajust\\w*|aument\\w*)\\b|\\b(${PRICE}|reajuste)\\b.*\\b(proximo|proxima|que vem|em (${MONTHS})|de (${MONTHS})|previsao)\\b`,
  ),
  /\b(quando|qdo) (voces|a aurora) (vao|vai) (comecar|chegar|atender|expandir)\b|\btem previsao\b|\bprevisao de (chegar|atender|comecar)\b/,
  // The customer's own account: is my invoice right, was my sign-up approved, my customer number.
  /\b(minha|meu) (fatura|conta|boleto|cadastro|pedido|contrato|proposta|analise|protocolo)\b.*\b(esta certo|esta certa|esta correto|esta correta|certo isso|foi aprovad\w*|ja foi|ja saiu|ja chegou|status|andamento|situacao)\b/,
  /\b(foi aprovad\w*|ja (foi|saiu|chegou)|esta certo isso|como esta (o|a) (meu|minha))\b.*\b(meu|minha) (cadastro|pedido|contrato|proposta|analise|fatura|conta)\b/,
  /\b(numero de cliente|codigo de cliente|meu cpf e|minha matricula)\b/,
  // What only the customer's own record holds: "quanto deu a minha fatura?", "meu contrato já
  // está ativo?", "o número da minha instalação", "quanto eu já economizei?".
  /\b(quanto|qual) (deu|veio|ficou|foi|e|saiu)\b.*\b(minha|meu)\b|\b(meu|minha) (fatura|conta|contrato|cadastro|pedido|boleto|assinatura|desconto)\b.*\b(ativo|ativa|ativado|ativada|aprovado|aprovada|liberado|liberada|quanto deu|ja (ta|esta)|vence quando|venceu)\b/,
  /\b(numero|codigo) d[aoe] (minha|meu)\b|\b(minha|meu) (numero|codigo|protocolo|senha)\b/,
  /\b(quanto|qto) (eu )?(ja )?(economizei|paguei|gastei|recebi|poupei)\b/,
  // Live status of something: "a usina está funcionando hoje?".
  /\b(hoje|agora|neste momento)\b.*\b(funcionando|parad[oa]|fora do ar|com problema|deu problema)\b|\b(funcionando|parad[oa]|fora do ar)\b.*\b(hoje|agora)\b/,
  // A competitor: a comparison, or what "they" charge.
  /\b(mais barat\w*|mais car\w*|melhor|pior|concorrent\w*|comparad\w*|comparando)\b.*\b(que|do que) (a|o)\b|\b(eles|elas) (cobram|oferecem|dao|cobra)\b|\bconcorrent\w*\b/,
];

/** True when the question needs live or personal data that no knowledge page holds. Pure. */
export function needsLiveData(question: string): boolean {
  const words = wordsOf(question).map(foldText).join(" ");
  return KINDS.some((k) => k.test(words));
}
