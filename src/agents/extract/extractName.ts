import { normalizeText } from "./normalizeText.ts";

const LEADS =
  /^(?:oi|ola|bom dia|boa tarde|boa noite)?[\s,!.]*(?:(?:o\s+)?meu nome (?:e|eh)|me chamo|eu me chamo|sou o|sou a|sou|aqui e o|aqui e a|aqui e|pode me chamar de|e)\s+/i;
const NOT_NAMES = new Set([
  "sim",
  "nao",
  "ok",
  "oi",
  "ola",
  "obrigado",
  "obrigada",
  "bom",
  "dia",
  "quero",
  "tudo",
  "bem",
  "boa",
  "boas",
  "beleza",
  "opa",
  "eai",
  "salve",
  "hello",
  "hi",
]);

/**
 * A person's name given as an answer ("Maria", "meu nome é João da Silva", "sou a Ana Paula"),
 * capitalised with Portuguese particles kept lowercase. Digits, questions and sentences that are
 * not a name give undefined.
 */
export function extractName(text: string): string | undefined {
  const original = text.trim().replace(/[.!]+$/, "");
  const normalized = normalizeText(original);
  const lead = LEADS.exec(normalized);
  const rest = lead ? original.split(/\s+/).slice(lead[0].trim().split(/\s+/).length) : original.split(/\s+/);
  const words = rest.filter(Boolean);
  if (words.length === 0 || words.length > 5) return undefined;
  if (words.some((w) => !/^[\p{L}'-]+$/u.test(w))) return undefined;
  if (NOT_NAMES.has(normalizeText(words[0] ?? ""))) return undefined;
  return words
    .map((w, i) => {
      const lower = w.toLowerCase();
      if (i > 0 && ["da", "de", "do", "das", "dos", "e"].includes(lower)) return lower;
      return lower.charAt(0).toUpperCase() + lower.slice(1);
    })
    .join(" ");
}
