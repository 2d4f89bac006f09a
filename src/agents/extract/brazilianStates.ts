import { foldWord } from "./tokenize.ts";

export const UFS: Record<string, string> = {
  AC: "Acre",
  AL: "Alagoas",
  AP: "Amapá",
  AM: "Amazonas",
  BA: "Bahia",
  CE: "Ceará",
  DF: "Distrito Federal",
  ES: "Espírito Santo",
  GO: "Goiás",
  MA: "Maranhão",
  MT: "Mato Grosso",
  MS: "Mato Grosso do Sul",
  MG: "Minas Gerais",
  PA: "Pará",
  PB: "Paraíba",
  PR: "Paraná",
  PE: "Pernambuco",
  PI: "Piauí",
  RJ: "Rio de Janeiro",
  RN: "Rio Grande do Norte",
  RS: "Rio Grande do Sul",
  RO: "Rondônia",
  RR: "Roraima",
  SC: "Santa Catarina",
  SP: "São Paulo",
  SE: "Sergipe",
  TO: "Tocantins",
};

/** Folded state names (and the short "minas") → UF. */
export const STATE_KEYS: ReadonlyMap<string, string> = new Map([
  ...Object.entries(UFS).map(([uf, name]): [string, string] => [
    name.split(/\s+/).map(foldWord).join(" "),
    uf,
  ]),
  ["minas", "MG"],
]);

/** Two-letter words that are also UF codes but mean something else in a sentence. */
export const COMMON_TWO_LETTER_WORDS: ReadonlySet<string> = new Set([
  "pa",
  "to",
  "se",
  "es",
  "ma",
  "am",
  "al",
  "ac",
  "pi",
  "ce",
  "rs",
  "go",
  "pe",
  "ap",
]);

/** State capitals (general knowledge: where most customers of a state live). */
export const CAPITALS: Readonly<Record<string, string>> = {
  AC: "Rio Branco",
  AL: "Maceió",
  AP: "Macapá",
  AM: "Manaus",
  BA: "Salvador",
  CE: "Fortaleza",
  DF: "Brasília",
  ES: "Vitória",
  GO: "Goiânia",
  MA: "São Luís",
  MT: "Cuiabá",
  MS: "Campo Grande",
  MG: "Belo Horizonte",
  PA: "Belém",
  PB: "João Pessoa",
  PR: "Curitiba",
  PE: "Recife",
  PI: "Teresina",
  RJ: "Rio de Janeiro",
  RN: "Natal",
  RS: "Porto Alegre",
  RO: "Porto Velho",
  RR: "Boa Vista",
  SC: "Florianópolis",
  SP: "São Paulo",
  SE: "Aracaju",
  TO: "Palmas",
};

/** States whose capital bears the state's name (São Paulo, Rio de Janeiro): alone, the name means the city. */
export const NAMESAKE_CAPITALS: ReadonlySet<string> = new Set(
  Object.keys(UFS).filter((uf) => CAPITALS[uf] === UFS[uf]),
);
