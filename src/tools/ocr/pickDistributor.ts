import type { Distributor } from "../../agents/extract/matchDistributor.ts";
import { editDistance, normalizeWords } from "../../agents/extract/normalizeText.ts";

/** Words every bill prints that sit one edit from a distributor's name ("energia" / "Energisa"). */
const COMMON = new Set(["energia", "energias", "eletrica", "eletricas", "ligacao", "celular"]);

export type DistributorPick = { distributor: Distributor; exact: boolean; inState: boolean | undefined };

/**
 * The distributor a bill names. A bill shows several names (a group's logo "neoenergia" over the
 * local "COELBA", a legal name, "enel / São Paulo"), and group names are aliases of several
 * distributors, so the bill's state (from its address) decides between the candidates; among those
 * the longest name read wins. OCR misreads of single-word names ("celese") count with one edit.
 */
export function pickDistributor(
  text: string,
  distributors: readonly Distributor[],
  uf: string | undefined,
): DistributorPick | undefined {
  const said = ` ${normalizeWords(text)} `;
  const words = said
    .trim()
    .split(" ")
    .filter((w) => !COMMON.has(w));
  const scored = distributors
    .map((d) => {
      const names = [d.name, ...d.aliases].map(normalizeWords).filter((n) => n.length > 0);
      const exact = Math.max(0, ...names.filter((n) => said.includes(` ${n} `)).map((n) => n.length));
      const fuzzy = names.some(
        (n) => !n.includes(" ") && n.length >= 5 && words.some((w) => editDistance(w, n) <= 1),
      );
      return { d, exact, fuzzy };
    })
    .filter((s) => s.exact > 0 || s.fuzzy);
  if (scored.length === 0) return undefined;
  const inState = uf ? scored.filter((s) => s.d.uf === uf) : [];
  const pool = inState.length > 0 ? inState : scored;
  const best = Math.max(...pool.map((s) => s.exact));
  const top = pool.filter((s) => s.exact === best);
  const pick = top.length === 1 ? top[0] : undefined;
  if (!pick) return undefined;
  return { distributor: pick.d, exact: pick.exact > 0, inState: uf ? pick.d.uf === uf : undefined };
}
