/**
 * Nicknames and short forms Brazilians use for well-known municipalities, all over the country
 * (general knowledge, not operator data: the operator's `cities` table adds its own on top).
 */
export const CITY_NICKNAMES: readonly { alias: string; name: string; uf: string }[] = [
  { alias: "BH", name: "Belo Horizonte", uf: "MG" },
  { alias: "Beagá", name: "Belo Horizonte", uf: "MG" },
  { alias: "Belzonte", name: "Belo Horizonte", uf: "MG" },
  { alias: "Sampa", name: "São Paulo", uf: "SP" },
  { alias: "SP capital", name: "São Paulo", uf: "SP" },
  { alias: "Rio", name: "Rio de Janeiro", uf: "RJ" },
  { alias: "Floripa", name: "Florianópolis", uf: "SC" },
  { alias: "POA", name: "Porto Alegre", uf: "RS" },
  { alias: "Jampa", name: "João Pessoa", uf: "PB" },
  { alias: "BSB", name: "Brasília", uf: "DF" },
  { alias: "Sanca", name: "São Carlos", uf: "SP" },
  { alias: "SJC", name: "São José dos Campos", uf: "SP" },
  { alias: "SJRP", name: "São José do Rio Preto", uf: "SP" },
  { alias: "Rio Preto", name: "São José do Rio Preto", uf: "SP" },
  { alias: "SJP", name: "São José dos Pinhais", uf: "PR" },
  { alias: "Sampa capital", name: "São Paulo", uf: "SP" },
  { alias: "Jaboatão", name: "Jaboatão dos Guararapes", uf: "PE" },
  { alias: "São Bernardo", name: "São Bernardo do Campo", uf: "SP" },
  { alias: "Cachoeiro", name: "Cachoeiro de Itapemirim", uf: "ES" },
  { alias: "JF", name: "Juiz de Fora", uf: "MG" },
  { alias: "Embu", name: "Embu das Artes", uf: "SP" },
];
