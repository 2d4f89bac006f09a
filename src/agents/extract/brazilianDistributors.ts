import { normalizeWords } from "./normalizeText.ts";

/**
 * Brazil's electricity distributors as customers name them (ANEEL's concessionaires and the best
 * known permissionaires), so that a distributor outside the operator's list is still understood —
 * and stored as said, not covered — instead of being asked again. The operator's list is tried first.
 */
const DISTRIBUTORS: readonly { name: string; aliases: readonly string[] }[] = [
  {
    name: "EDP",
    aliases: ["EDP", "EDP São Paulo", "EDP SP", "EDP Espírito Santo", "EDP ES", "Bandeirante", "Escelsa"],
  },
  { name: "Elektro", aliases: ["Elektro", "Neoenergia Elektro"] },
  { name: "Cosern", aliases: ["Cosern", "Neoenergia Cosern"] },
  { name: "Neoenergia Brasília", aliases: ["Neoenergia Brasília", "CEB"] },
  { name: "CEEE Equatorial", aliases: ["CEEE", "CEEE Equatorial", "Equatorial CEEE"] },
  { name: "Equatorial Maranhão", aliases: ["Equatorial Maranhão", "Cemar"] },
  { name: "Equatorial Piauí", aliases: ["Equatorial Piauí", "Cepisa"] },
  { name: "Equatorial Alagoas", aliases: ["Equatorial Alagoas", "Ceal"] },
  { name: "CEA Equatorial", aliases: ["CEA", "CEA Equatorial", "Equatorial Amapá"] },
  {
    name: "Energisa",
    aliases: [
      "Energisa",
      "Energisa MS",
      "Energisa TO",
      "Energisa PB",
      "Energisa SE",
      "Energisa RO",
      "Energisa AC",
      "Energisa MG",
      "Energisa Sul-Sudeste",
      "Energisa Minas Rio",
      "Enersul",
      "Celtins",
      "Saelpa",
      "Ceron",
      "Eletroacre",
    ],
  },
  { name: "Amazonas Energia", aliases: ["Amazonas Energia"] },
  { name: "Roraima Energia", aliases: ["Roraima Energia", "Boa Vista Energia"] },
  { name: "CPFL Piratininga", aliases: ["CPFL Piratininga", "Piratininga"] },
  { name: "CPFL Santa Cruz", aliases: ["CPFL Santa Cruz"] },
  { name: "Sulgipe", aliases: ["Sulgipe"] },
  { name: "DMED", aliases: ["DMED", "DME"] },
  { name: "Cocel", aliases: ["Cocel"] },
  { name: "Forcel", aliases: ["Forcel"] },
  { name: "Chesp", aliases: ["Chesp"] },
  { name: "Hidropan", aliases: ["Hidropan"] },
  { name: "Demei", aliases: ["Demei"] },
  { name: "Eflul", aliases: ["Eflul"] },
  { name: "Uhenpal", aliases: ["Uhenpal"] },
  { name: "Nova Palma Energia", aliases: ["Nova Palma Energia"] },
  { name: "Mux Energia", aliases: ["Mux Energia"] },
  { name: "Eletrocar", aliases: ["Eletrocar"] },
  // A group named alone, in a state where the operator has none of it: kept as the customer said it.
  { name: "Equatorial", aliases: ["Equatorial", "Equatorial Energia"] },
  { name: "Neoenergia", aliases: ["Neoenergia"] },
  { name: "Enel", aliases: ["Enel"] },
  { name: "CPFL", aliases: ["CPFL"] },
  {
    name: "Cooperativa de eletrificação",
    aliases: ["cooperativa de eletrificação", "cooperativa de energia", "cooperativa"],
  },
];

/** A distributor of the country named in the text: its common name and how long the mention is. */
export function matchKnownDistributor(text: string): { name: string; length: number } | undefined {
  const said = ` ${normalizeWords(text)} `;
  let best: { name: string; length: number } | undefined;
  for (const d of DISTRIBUTORS) {
    for (const alias of d.aliases.map(normalizeWords)) {
      if (said.includes(` ${alias} `) && (!best || alias.length > best.length))
        best = { name: d.name, length: alias.length };
    }
  }
  return best;
}
