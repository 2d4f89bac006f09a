import { type Distributor, matchDistributor } from "../../agents/extract/matchDistributor.ts";
import { editDistance, normalizeWords } from "../../agents/extract/normalizeText.ts";

export type Confidence = "high" | "medium";
export type Field<T> = { value: T; confidence: Confidence };
export type BillFields = {
  distributor?: Field<string>;
  amount_due_brl?: Field<number>;
  consumption_kwh?: Field<number>;
  due_date?: Field<string>;
  reference_month?: Field<string>;
  installation_number?: Field<string>;
  cep?: Field<string>;
  city?: Field<string>;
  state?: Field<string>;
};
export type BillReading = { isBill: boolean; fields: BillFields };

const BILL_WORDS = [
  "energia",
  "kwh",
  "consumo",
  "vencimento",
  "fatura",
  "distribui",
  "leitura",
  "total a pagar",
  "tarifa",
  "medidor",
];
const money = (s: string) => Number(s.replace(/\./g, "").replace(",", "."));

/**
 * Reads the fields of an electricity bill from OCR text (pure). Labels anchor the values ("TOTAL A
 * PAGAR", "VENCIMENTO", "UC"); a value found by its label is high confidence, one found by shape
 * alone is medium. The distributor comes from the operator's list (names and aliases, one typo
 * allowed on long names), the consumption from the meter readings when they add up.
 */
export function extractBillFields(text: string, distributors: readonly Distributor[]): BillReading {
  const flat = text.replace(/\r/g, "");
  const lower = normalizeWords(flat);
  const hits = BILL_WORDS.filter((w) => lower.includes(w)).length;
  const fields: BillFields = {};
  if (hits < 3) return { isBill: false, fields };

  const stateMatch = /\b\d{5}-\d{3}[\s-]+([A-ZÀ-Ü][A-ZÀ-Ü' ]+?)[\s/-]+([A-Z]{2})\b/.exec(flat.toUpperCase());
  if (stateMatch?.[2]) {
    fields.cep = { value: /\b\d{5}-\d{3}\b/.exec(flat)?.[0] ?? "", confidence: "high" };
    fields.state = { value: stateMatch[2], confidence: "high" };
    const city = (stateMatch[1] ?? "")
      .trim()
      .toLowerCase()
      .replace(/(^|\s)\p{L}/gu, (m) => m.toUpperCase());
    if (city)
      fields.city = {
        value: city.replace(/\b(De|Da|Do|Dos|Das)\b/g, (m) => m.toLowerCase()),
        confidence: "medium",
      };
  }
  const uf = fields.state?.value;
  const named = matchDistributor(flat, distributors, uf) ?? fuzzyDistributor(lower, distributors, uf);
  if (named)
    fields.distributor = {
      value: named.name,
      confidence: named === matchDistributor(flat, distributors, uf) ? "high" : "medium",
    };

  const total =
    /total\s*a\s*pagar[^\d]{0,60}?(\d{1,3}(?:\.\d{3})*,\d{2})/i.exec(flat) ??
    /valor\s*(?:a\s*pagar|total)[^\d]{0,60}?(\d{1,3}(?:\.\d{3})*,\d{2})/i.exec(flat);
  if (total?.[1]) fields.amount_due_brl = { value: money(total[1]), confidence: "high" };
  else {
    const all = [...flat.matchAll(/R\$\s*(\d{1,3}(?:\.\d{3})*,\d{2})/g)].map((m) => money(m[1] ?? "0"));
    const max = Math.max(...all);
    if (all.length > 0 && Number.isFinite(max)) fields.amount_due_brl = { value: max, confidence: "medium" };
  }

  const due = /venc\w*[^\d]{0,80}?(\d{2})\/(\d{2})\/(\d{4})/i.exec(flat);
  if (due) fields.due_date = { value: `${due[3]}-${due[2]}-${due[1]}`, confidence: "high" };
  const ref = /refer[eê]ncia[^\d]{0,80}?\b(\d{2})\/(\d{4})\b/i.exec(flat);
  if (ref) fields.reference_month = { value: `${ref[2]}-${ref[1]}`, confidence: "high" };
  const uc = /(?:unidade\s*consumidora|\bUC\b|instala[çc][ãa]o)[^\d]{0,80}?(\d{6,12})\b/i.exec(flat);
  if (uc?.[1]) fields.installation_number = { value: uc[1], confidence: "high" };

  const consumption = readingsConsumption(flat) ?? labelledKwh(flat);
  if (consumption) fields.consumption_kwh = consumption;
  return { isBill: true, fields };
}

/** A meter row "previous current constant consumption": the consumption is (current − previous) × constant. */
function readingsConsumption(text: string): Field<number> | undefined {
  for (const line of text.split("\n")) {
    const nums = [...line.matchAll(/\b\d{1,3}(?:\.\d{3})+\b|\b\d+\b/g)].map((m) =>
      Number(m[0].replace(/\./g, "")),
    );
    for (let i = 0; i + 3 < nums.length; i++) {
      const [a, b, k, c] = [nums[i] ?? 0, nums[i + 1] ?? 0, nums[i + 2] ?? 0, nums[i + 3] ?? 0];
      if (b > a && k >= 1 && k <= 1000 && (b - a) * k === c && c > 0) return { value: c, confidence: "high" };
    }
  }
  return undefined;
}

function labelledKwh(text: string): Field<number> | undefined {
  const m = /(\d{1,3}(?:\.\d{3})*|\d+)\s*kwh/i.exec(text);
  return m?.[1] ? { value: Number(m[1].replace(/\./g, "")), confidence: "medium" } : undefined;
}

/** OCR misreads ("celese Distibuição"): one edit on names of five letters or more. */
function fuzzyDistributor(
  lower: string,
  distributors: readonly Distributor[],
  uf?: string,
): Distributor | undefined {
  const words = lower.split(" ");
  const hits = distributors.filter((d) =>
    [d.name, ...d.aliases]
      .map(normalizeWords)
      .filter((n) => !n.includes(" ") && n.length >= 5)
      .some((n) => words.some((w) => editDistance(w, n) <= 1)),
  );
  if (hits.length === 1) return hits[0];
  const inState = uf ? hits.filter((d) => d.uf === uf) : [];
  return inState.length === 1 ? inState[0] : undefined;
}
