import { normalizeWords } from "./normalizeText.ts";

export type Distributor = { name: string; uf: string; covered: boolean; aliases: readonly string[] };

/**
 * The distributor a customer or a bill names ("minha conta é da Cemig", "neoenergia", "Enel"),
 * from the operator's list. A name shared by several distributors ("Enel") is resolved by the
 * customer's state; without one it stays unknown.
 */
export function matchDistributor(
  text: string,
  distributors: readonly Distributor[],
  uf?: string,
): Distributor | undefined {
  const said = ` ${normalizeWords(text)} `;
  const hits = distributors.filter((d) =>
    [d.name, ...d.aliases].map(normalizeWords).some((n) => n.length > 0 && said.includes(` ${n} `)),
  );
  if (hits.length === 0) return undefined;
  // The longest name mentioned wins ("enel sp" over "enel").
  const longest = (d: Distributor) => mentionLength(text, d);
  const best = Math.max(...hits.map(longest));
  const top = hits.filter((d) => longest(d) === best);
  if (top.length === 1) return top[0];
  const inState = uf ? top.filter((d) => d.uf === uf) : [];
  return inState.length === 1 ? inState[0] : undefined;
}

/** The length of the longest of the distributor's names the text mentions (0: none). */
export function mentionLength(text: string, d: Distributor): number {
  const said = ` ${normalizeWords(text)} `;
  const lengths = [d.name, ...d.aliases]
    .map(normalizeWords)
    .filter((n) => n.length > 0 && said.includes(` ${n} `))
    .map((n) => n.length);
  return Math.max(0, ...lengths);
}

/** Group names are the first word of a distributor's names; these first words are not groups. */
const NOT_GROUPS = new Set(["companhia", "cooperativa", "distribuidora", "empresa", "energia"]);

/**
 * The distributor of the state whose group the customer names ("a Neoenergia" in Bahia is
 * Coelba, listed as "Neoenergia Coelba"): only when exactly one of the state's has that group.
 */
export function matchDistributorGroup(
  text: string,
  distributors: readonly Distributor[],
  uf: string,
): Distributor | undefined {
  const said = new Set(normalizeWords(text).split(" "));
  const groupOf = (name: string) => normalizeWords(name).split(" ")[0] ?? "";
  const hits = distributors.filter(
    (d) =>
      d.uf === uf &&
      [d.name, ...d.aliases].some((n) => {
        const group = groupOf(n);
        return group.length >= 3 && !NOT_GROUPS.has(group) && said.has(group);
      }),
  );
  return hits.length === 1 ? hits[0] : undefined;
}
