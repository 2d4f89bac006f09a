/**
 * Words around a place name that tell it is one (folded, as sequences of words). A strong cue says
 * the next words are where the customer lives or the property is; a weak one is a preposition that
 * may equally be part of "conta de luz".
 */
export const STRONG_CUES: readonly string[] = [
  "moro em",
  "moro no",
  "moro na",
  "moro ali em",
  "moramos em",
  "sou de",
  "sou do",
  "sou da",
  "somos de",
  "cidade de",
  "cidade do",
  "cidade da",
  "cidade e",
  "cidade",
  "aqui em",
  "aqui de",
  "aqui e",
  "daqui de",
  "daqui do",
  "daqui da",
  "fico em",
  "vivo em",
  "resido em",
  "la em",
  "la de",
  "regiao de",
  "regiao do",
  "regiao da",
  "zona rural de",
  "zona rural do",
  "zona rural da",
  "interior de",
  "interior do",
  "interior da",
  "mudei pra",
  "mudei para",
  "fica em",
  "fica no",
  "fica na",
  "e em",
  "casa em",
  "loja em",
  "empresa em",
  "comercio em",
  "sitio em",
  "fazenda em",
  "apartamento em",
  "imovel em",
];

export const WEAK_CUES: ReadonlySet<string> = new Set([
  "em",
  "de",
  "do",
  "da",
  "no",
  "na",
  "pra",
  "para",
  "p",
]);

/**
 * Words that may surround a place given as an answer ("moro em Recife, PE", "é Betim mesmo") without
 * making it part of a longer sentence.
 */
export const ANSWER_FILLER: ReadonlySet<string> = new Set([
  ...WEAK_CUES,
  ..."oi ola bom boa dia tarde noite e eh a o eu sou moro moramos fico vivo resido aqui daqui la cidade minha meu mesmo sim isso estado interior regiao zona rural perto capital municipio ne ta to entao ai".split(
    " ",
  ),
]);

/** "interior de SP", "estado de Minas": the state only, never the namesake city. */
export const STATE_ONLY_CUES: readonly string[] = [
  "interior de",
  "interior do",
  "interior da",
  "estado de",
  "estado do",
  "estado da",
];

/**
 * "perto de Campinas", "do lado de Osasco", "bairro Boa Viagem", "rua Bahia": a name after these
 * is a landmark, a neighbourhood or a street, not the customer's municipality.
 */
export const NEAR_CUES: readonly string[] = [
  "bairro",
  "bairro de",
  "bairro do",
  "bairro da",
  "rua",
  "avenida",
  "av",
  "condominio",
  "residencial",
  "vila",
  "jardim",
  "conjunto",
  "perto de",
  "perto do",
  "perto da",
  "pertinho de",
  "pertinho do",
  "pertinho da",
  "proximo de",
  "proximo a",
  "proximo do",
  "proximo da",
  "lado de",
  "lado do",
  "lado da",
  "vizinho de",
  "vizinha de",
  "vizinho a",
];

/** "zona norte de SP", "zona sul do Rio": parts of the capital named after its state. */
export const CITY_PART_CUES: readonly string[] = [
  "zona norte de",
  "zona sul de",
  "zona leste de",
  "zona oeste de",
  "zona norte do",
  "zona sul do",
  "zona leste do",
  "zona oeste do",
  "centro de",
  "centro do",
];
