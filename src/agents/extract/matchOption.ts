import { normalizeWords } from "./normalizeText.ts";

export type Option = { id: string; title: string; aliases: readonly string[] };

/**
 * Which option of a choice the customer picked: a tapped button arrives as its title, a typed
 * answer may be the title, an alias or the id, with or without accents ("apto", "Apartamento").
 * Exact matches first; then an option whose words all appear in the text — only when exactly one
 * option does, so "casa ou apartamento?" picks nothing — leaving out options the text denies
 * ("na verdade é casa, não empresa").
 */
export function matchOption(text: string, options: readonly Option[]): string | undefined {
  const said = normalizeWords(text);
  if (!said) return undefined;
  const names = (o: Option) => [o.id.replace(/_/g, " "), o.title, ...o.aliases].map(normalizeWords);
  const exact = options.find((o) => names(o).includes(said));
  if (exact) return exact.id;
  const padded = ` ${said} ${said.split(" ").flatMap(baseOfDiminutive).join(" ")} `;
  const mentioned = (n: string) => n.length > 0 && padded.includes(` ${n} `);
  const denied = (n: string) => new RegExp(` nao (?:e |eh |uma? |pra |para )?${n} `).test(padded);
  const hits = options.filter(
    (o) => names(o).some(mentioned) && !names(o).some((n) => n.length > 0 && denied(n)),
  );
  return hits.length === 1 ? hits[0]?.id : undefined;
}

/** "casinha" → casa, "lojinha" → loja, "sitiozinho" → sitio: the word a diminutive is made from. */
function baseOfDiminutive(word: string): string[] {
  const z = /^(\w{3,})zinh[oa]s?$/.exec(word);
  if (z?.[1]) return [z[1]];
  const inho = /^(\w{3,})inh([oa])s?$/.exec(word);
  return inho?.[1] && inho[2] ? [`${inho[1]}${inho[2]}`] : [];
}
