import { normalizeWords } from "./normalizeText.ts";

/** Who the account holder is and whether they agree, as far as a message says. */
export type HolderReading = { holder?: boolean; agrees?: boolean };

/** People a bill may be in the name of, besides the customer (family, partners, landlords). */
const OTHERS =
  "mae|pai|marido|esposa|esposo|mulher|companheiro|companheira|namorado|namorada|filho|filha|sogra|sogro|irmao|irma|avo|vo|tio|tia|primo|prima|cunhado|cunhada|genro|nora|socio|socia|patrao|patroa|chefe|dono|dona|proprietario|proprietaria|locador|locadora|senhorio|inquilino|vizinho|vizinha|ex|antigo morador|antiga moradora|familia|pais";
const SELF = [
  /\b(?:ta|esta|fica|e|eh|tudo)\s+(?:tudo\s+)?no\s+meu\s+nome\b/,
  /\bno\s+meu\s+nome\s+(?:mesmo|sim)\b/,
  /\bsou\s+(?:eu\s+)?(?:o|a)\s+titular\b/,
  /\b(?:o|a)\s+titular\s+sou\s+eu\b/,
];
const OTHER = [
  new RegExp(String.raw`\bno\s+nome\s+d[oa]s?\s+(?:meu|minha|meus|minhas)\s+(?:${OTHERS})\b`),
  new RegExp(
    String.raw`\b(?:conta|luz|fatura)\s+(?:e|eh|ta|esta|fica|vem)\s+(?:no\s+nome\s+)?d[oa]s?\s+(?:meu|minha|meus|minhas)\s+(?:${OTHERS})\b`,
  ),
  new RegExp(
    String.raw`^(?:nao\s+)?(?:e|eh|ta)\s+(?:no\s+nome\s+)?d[oa]s?\s+(?:meu|minha|meus|minhas)\s+(?:${OTHERS})\b`,
  ),
  /\bnao\s+(?:ta|esta|fica|e)\s+no\s+meu\s+nome\b/,
  /\bnao\s+sou\s+(?:eu\s+)?(?:o|a)\s+titular\b/,
];
const AGREES =
  /\b(?:ele|ela|eles|elas|o titular|a titular)\s+(?:ja\s+)?(?:deixa|deixou|concorda|concordou|autoriza|autorizou|aceita|aceitou|topa|topou|esta de acordo|ta de acordo|assina|sabe e concorda)\b/;
const REFUSES =
  /\b(?:ele|ela|eles|elas|o titular|a titular)\s+nao\s+(?:deixa|deixou|concorda|concordou|autoriza|autorizou|aceita|aceitou|topa|topou|quer|esta de acordo|ta de acordo)\b/;

/**
 * "A conta tá no nome do meu marido" (not the holder), "é da minha mãe, ela deixa" (not the holder,
 * who agrees), "tá no meu nome" (the holder): the account holder and their consent, when said.
 */
export function readAccountHolder(text: string): HolderReading {
  const t = normalizeWords(text);
  const reading: HolderReading = {};
  if (OTHER.some((p) => p.test(t))) reading.holder = false;
  else if (SELF.some((p) => p.test(t))) reading.holder = true;
  if (REFUSES.test(t)) reading.agrees = false;
  else if (AGREES.test(t)) reading.agrees = true;
  return reading;
}
