import { normalizeWords } from "./normalizeText.ts";

const YES = new Set([
  "sim",
  "s",
  "ss",
  "si",
  "claro",
  "isso",
  "isso mesmo",
  "exato",
  "correto",
  "certo",
  "uhum",
  "aham",
  "com certeza",
  "pode ser",
  "pode",
  "ok",
  "ta",
  "beleza",
  "positivo",
  "sim sim",
  "yes",
  "esta sim",
  "e sim",
  "sou eu",
  "sou eu mesmo",
  "sou eu mesma",
  "sim sou eu",
  "e meu",
  "e minha",
  "ta sim",
  "no meu nome mesmo",
  "sou",
  "esta no meu nome",
  "ta no meu nome",
  "no meu nome",
  "concorda",
  "concordo",
  "ele concorda",
  "ela concorda",
]);
const NO = new Set([
  "nao",
  "n",
  "nn",
  "negativo",
  "de jeito nenhum",
  "nem",
  "nao nao",
  "no",
  "nope",
  "ainda nao",
  "nao esta",
  "nao ta",
  "nao e",
  "nao sou",
  "esta no nome do meu marido",
  "nao concorda",
  "nao concordo",
]);

/** A yes/no answer ("sim", "uhum", "claro"; "não", "negativo"), or undefined when it is not one. */
export function parseYesNo(text: string): boolean | undefined {
  // A thumbs-up or a check mark alone answers yes on WhatsApp; a thumbs-down or a cross, no.
  const emoji = text.replace(/\s|\u{FE0F}|[\u{1F3FB}-\u{1F3FF}]/gu, "");
  if (/^(?:👍|👌|✅|✔)+$/u.test(emoji)) return true;
  if (/^(?:👎|❌|✖)+$/u.test(emoji)) return false;
  const t = normalizeWords(text);
  if (!t) return undefined;
  if (YES.has(t)) return true;
  if (NO.has(t)) return false;
  const first = t.split(" ")[0] ?? "";
  // "sim, está no meu nome", "não, é da minha mãe": the first word decides.
  if (first === "sim" || first === "claro" || first === "isso") return true;
  if (first === "nao" || first === "negativo") return false;
  return undefined;
}
