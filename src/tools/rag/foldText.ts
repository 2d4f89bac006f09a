/** Lowercase without accents: how customers type on WhatsApp ("fidelidade", "instalacao"). */
export function foldText(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

/**
 * General Brazilian WhatsApp shorthand → the word it stands for, so stemming and stop words see real
 * words. Common internet Portuguese, not any particular question set.
 */
const SHORTHAND: Record<string, string> = {
  vc: "você",
  vcs: "vocês",
  voce: "você",
  voces: "vocês",
  q: "que",
  oq: "que",
  pq: "porque",
  tb: "também",
  tbm: "também",
  tmb: "também",
  tbem: "também",
  d: "de",
  n: "não",
  nao: "não",
  naum: "não",
  pra: "para",
  pro: "para",
  qto: "quanto",
  qnto: "quanto",
  qt: "quanto",
  qts: "quantos",
  qtos: "quantos",
  qnts: "quantos",
  qntos: "quantos",
  qtas: "quantas",
  qntas: "quantas",
  qta: "quanta",
  qdo: "quando",
  qndo: "quando",
  qnd: "quando",
  msm: "mesmo",
  hj: "hoje",
  td: "tudo",
  tds: "todos",
  mto: "muito",
  mt: "muito",
  mta: "muita",
  ta: "está",
  tá: "está",
  to: "estou",
  tô: "estou",
  tao: "estão",
  blz: "beleza",
  vlw: "valeu",
  obg: "obrigado",
  pf: "favor",
  pfv: "favor",
  pfvr: "favor",
  agr: "agora",
  dps: "depois",
  nd: "nada",
  ngm: "ninguém",
  qq: "qualquer",
  qlq: "qualquer",
  cmg: "comigo",
  vdd: "verdade",
  eh: "é",
  hr: "hora",
  hrs: "horas",
  msg: "mensagem",
  ap: "apartamento",
  apto: "apartamento",
  zap: "whatsapp",
  whats: "whatsapp",
  kd: "cadê",
  // Pages write "e-mail", which splits into "e" and "mail".
  email: "mail",
  emails: "mail",
};

/** The words of a text, lowercase with accents kept, shorthand expanded. */
export function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => SHORTHAND[w] ?? w);
}

/**
 * Damerau-Levenshtein distance (optimal string alignment) with an early exit: returns max + 1 as
 * soon as the distance must exceed `max`, which keeps typo correction over a vocabulary cheap.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] ?? max + 1;
}
