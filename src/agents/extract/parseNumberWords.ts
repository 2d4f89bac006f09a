import { normalizeText } from "./normalizeText.ts";

const UNITS: Record<string, number> = {
  zero: 0,
  um: 1,
  uma: 1,
  dois: 2,
  duas: 2,
  tres: 3,
  quatro: 4,
  cinco: 5,
  seis: 6,
  sete: 7,
  oito: 8,
  nove: 9,
  dez: 10,
  onze: 11,
  doze: 12,
  treze: 13,
  quatorze: 14,
  catorze: 14,
  quinze: 15,
  dezesseis: 16,
  dezessete: 17,
  dezoito: 18,
  dezenove: 19,
  vinte: 20,
  trinta: 30,
  quarenta: 40,
  cinquenta: 50,
  sessenta: 60,
  setenta: 70,
  oitenta: 80,
  noventa: 90,
  cem: 100,
  cento: 100,
  duzentos: 200,
  duzentas: 200,
  trezentos: 300,
  trezentas: 300,
  quatrocentos: 400,
  quatrocentas: 400,
  quinhentos: 500,
  quinhentas: 500,
  seiscentos: 600,
  seiscentas: 600,
  setecentos: 700,
  setecentas: 700,
  oitocentos: 800,
  oitocentas: 800,
  novecentos: 900,
  novecentas: 900,
};
const SCALES: Record<string, number> = { mil: 1000, milhao: 1_000_000, milhoes: 1_000_000 };

/**
 * Portuguese numbers written in words ("mil e duzentos", "trezentos e cinquenta", "dois mil e
 * quinhentos", "1 mil"), mixed with digits. Returns undefined when the text holds no such number
 * or holds anything else.
 */
export function parseNumberWords(text: string): number | undefined {
  const words = normalizeText(text)
    .split(" ")
    .filter((w) => w && w !== "e");
  if (words.length === 0) return undefined;
  let total = 0;
  let group = 0;
  let seen = false;
  for (const w of words) {
    const digits = /^\d+$/.test(w) ? Number(w) : undefined;
    const unit = digits ?? UNITS[w];
    if (unit !== undefined) {
      group += unit;
      seen = true;
      continue;
    }
    const scale = SCALES[w];
    if (scale === undefined) return undefined;
    total += (group === 0 ? 1 : group) * scale;
    group = 0;
    seen = true;
  }
  return seen ? total + group : undefined;
}

/**
 * A number written in words inside a sentence ("a conta vem uns trezentos reais" → 300): the
 * largest run of number words worth 10 or more ("uma casa" is an article, not an amount).
 */
export function findNumberWords(text: string): number | undefined {
  const words = normalizeText(text).split(" ");
  let best: number | undefined;
  let run: string[] = [];
  const close = () => {
    while (run.at(-1) === "e") run.pop();
    const n = run.length > 0 ? parseNumberWords(run.join(" ")) : undefined;
    if (n !== undefined && n >= 10 && (best === undefined || n > best)) best = n;
    run = [];
  };
  for (const w of words) {
    const isNumber = w in UNITS || w in SCALES || (w === "e" && run.length > 0);
    if (isNumber && !/^\d/.test(w)) run.push(w);
    else close();
  }
  close();
  return best;
}
