import type { Distributor } from "../../agents/extract/matchDistributor.ts";
import {
  type BillLine,
  billLines,
  DATE,
  ID,
  idDigits,
  isoDate,
  MONEY,
  MONTH,
  parseKwh,
  parseMoney,
} from "./billText.ts";
import { labelledValues } from "./labelledValues.ts";
import { pickDistributor } from "./pickDistributor.ts";
import { readDigitableLine } from "./readDigitableLine.ts";
import { readHistory } from "./readHistory.ts";
import { readHolder } from "./readHolder.ts";
import { ufOfCep } from "./ufOfCep.ts";

export type Confidence = "high" | "medium" | "low";
export type Field<T> = { value: T; confidence: Confidence };
export type TariffClass = "B1 Residencial" | "B2 Rural" | "B3 Comercial";
export type BillFields = {
  distributor?: Field<string>;
  customer_name?: Field<string>;
  installation_number?: Field<string>;
  client_number?: Field<string>;
  cpf_masked?: Field<string>;
  address?: Field<string>;
  cep?: Field<string>;
  city?: Field<string>;
  state?: Field<string>;
  tariff_class?: Field<TariffClass>;
  reference_month?: Field<string>;
  due_date?: Field<string>;
  amount_due_brl?: Field<number>;
  consumption_kwh?: Field<number>;
  history_kwh?: Field<number[]>;
};
export type BillReading = { isBill: boolean; fields: BillFields };

/** Words of an electricity bill; a supermarket receipt or a letter has at most one or two. */
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
  "instala",
  "unidade consumidora",
];
/** At least one of these: "total", "consumo" and "vencimento" alone are on any invoice. */
const ENERGY_WORDS = /kwh|energia|leitura|medidor|distribuidora|unidade consumidora/;
/** kWh a month above which a bill of the class is implausible (a misread, not a customer). */
const MAX_KWH: Record<TariffClass, number> = {
  "B1 Residencial": 5000,
  "B2 Rural": 20000,
  "B3 Comercial": 100000,
};
const CLASSES: Record<string, TariffClass> = { "1": "B1 Residencial", "2": "B2 Rural", "3": "B3 Comercial" };

/**
 * Reads the fields of an electricity bill from OCR text or a PDF text layer (pure). Each field is
 * looked for everywhere it is printed — after its label, under its label in a row of column
 * headers, in the stub, in the digitable line — and the confidence says how well those agree and how
 * the value passed its checks: "high" when independent readings agree or a check confirms it (the
 * digitable line's check digits, the meter readings, the items adding up, the CEP in the state), "medium"
 * for a single labelled reading, "low" when a check failed or only the shape matched.
 */
export function extractBillFields(text: string, distributors: readonly Distributor[]): BillReading {
  const lines = billLines(text);
  const all = lines.map((l) => l.folded).join("\n");
  const hits = BILL_WORDS.filter((w) => all.includes(w)).length;
  const fields: BillFields = {};
  if (hits < 3 || !ENERGY_WORDS.test(all)) return { isBill: false, fields };

  const holder = readHolder(lines);
  const cepUf = holder.cep ? ufOfCep(holder.cep) : undefined;
  if (holder.cep)
    fields.cep = {
      value: holder.cep,
      confidence: cepUf ? (cepUf === holder.state ? "high" : "medium") : "low",
    };
  const uf = holder.state ?? cepUf;
  if (uf)
    fields.state = { value: uf, confidence: holder.state && cepUf === holder.state ? "high" : "medium" };
  if (holder.city)
    fields.city = { value: holder.city, confidence: cepUf && cepUf === holder.state ? "high" : "medium" };
  if (holder.address) fields.address = { value: holder.address, confidence: "medium" };
  if (holder.customerName) fields.customer_name = { value: holder.customerName, confidence: "medium" };

  const named = pickDistributor(text, distributors, uf);
  if (named)
    fields.distributor = {
      value: named.distributor.name,
      // A name only guessed from a misread word, with no state to back it, is a guess.
      confidence:
        named.inState === false || (!named.exact && !named.inState)
          ? "low"
          : named.exact && named.inState
            ? "high"
            : "medium",
    };

  const installation = vote(
    labelledValues(
      lines,
      /n[ºo°.]*\s*d[ao] instala[cç][aã]o|codigo d[ao] instala[cç][aã]o|unidade consumidora|\buc\b|instala[cç][aã]o/,
      "id",
      ID,
    ).map((f) => ({ value: idDigits(f.value.toUpperCase()), weight: 1 })),
  );
  if (installation) fields.installation_number = installation;
  const client = vote(
    labelledValues(lines, /n[ºo°.]*\s*do cliente|codigo do cliente|conta contrato/, "id", ID).map((f) => ({
      value: idDigits(f.value.toUpperCase()),
      weight: 1,
    })),
  );
  if (client && client.value !== fields.installation_number?.value) fields.client_number = client;

  const cpf = /([*+x]{2,3})\s?[.,]?\s?(\d{3})\s?[.,]\s?(\d{3})\s?-?\s?([*+x]{1,2})/.exec(text);
  if (cpf && !/cnpj\W{0,4}$/i.test(text.slice(Math.max(0, cpf.index - 8), cpf.index)))
    fields.cpf_masked = {
      value: `***.${cpf[2]}.${cpf[3]}-**`,
      confidence: cpf[0] === `***.${cpf[2]}.${cpf[3]}-**` ? "high" : "medium",
    };

  const tariff = /\bb\s?([123])\b\s*[-–]?\s*(residencial|rural|comercial)?/.exec(all);
  const tariffClass = tariff?.[1] ? CLASSES[tariff[1]] : undefined;
  if (tariffClass)
    fields.tariff_class = {
      value: tariffClass,
      confidence: tariff?.[2] && tariffClass.toLowerCase().endsWith(tariff[2]) ? "high" : "medium",
    };

  const history = readHistory(lines);
  const reference = vote([
    ...labelledValues(lines, /referencia|conta referente|\bref\b/, "month", MONTH).map((f) => ({
      value: monthIso(f.value),
      weight: 1,
    })),
    ...(history?.lastMonth ? [{ value: history.lastMonth, weight: 1 }] : []),
  ]);
  if (reference) fields.reference_month = reference;

  const due = vote(
    labelledValues(lines, /vencimento|\bvenc\b/, "date", DATE).map((f) => ({
      value: dateIso(f.value),
      weight: 1,
    })),
  );
  if (due) fields.due_date = checkDue(due, fields.reference_month?.value);

  const amount = readAmount(lines, text);
  if (amount) fields.amount_due_brl = amount;

  const consumption = readConsumption(lines, history?.values.at(-1));
  if (consumption) {
    const max = MAX_KWH[fields.tariff_class?.value ?? "B3 Comercial"];
    fields.consumption_kwh =
      consumption.value > 0 && consumption.value <= max ? consumption : { ...consumption, confidence: "low" };
  }
  if (history) {
    const agrees = history.values.at(-1) === fields.consumption_kwh?.value;
    fields.history_kwh = { value: history.values, confidence: agrees ? "high" : "low" };
  }
  return { isBill: true, fields };
}

type Candidate<T> = { value: T | undefined; weight: number };

/** The value most readings agree on: "high" when two agree without dissent, "low" when they disagree. */
function vote<T extends string | number>(candidates: Candidate<T>[]): Field<T> | undefined {
  const tally = new Map<T, number>();
  for (const c of candidates)
    if (c.value !== undefined) tally.set(c.value, (tally.get(c.value) ?? 0) + c.weight);
  const ranked = [...tally].sort((a, b) => b[1] - a[1]);
  const [first, second] = ranked;
  if (!first) return undefined;
  const confidence: Confidence =
    second && second[1] >= first[1] / 2 ? "low" : first[1] >= 2 ? "high" : second ? "low" : "medium";
  return { value: first[0], confidence };
}

const monthIso = (s: string) => {
  const m = /(\d{2})\/(\d{4})/.exec(s);
  return m && Number(m[1]) >= 1 && Number(m[1]) <= 12 ? `${m[2]}-${m[1]}` : undefined;
};
const dateIso = (s: string) => {
  const m = /(\d{2})\/(\d{2})\/(\d{4})/.exec(s);
  return m ? isoDate(m[1] ?? "", m[2] ?? "", m[3] ?? "") : undefined;
};

/** A bill falls due after its reference month ends, and within about three months of it. */
function checkDue(due: Field<string>, reference: string | undefined): Field<string> {
  if (!reference) return due;
  const [y, m] = reference.split("-").map(Number);
  const start = new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, 1));
  const latest = new Date(Date.UTC(y ?? 0, (m ?? 1) + 3, 1));
  const date = new Date(`${due.value}T00:00:00Z`);
  return date > start && date < latest ? due : { ...due, confidence: "low" };
}

/**
 * The total to pay. The digitable line's amount wins when its check digits hold; otherwise the
 * labelled totals vote ("Total a pagar", the items' "TOTAL", the stub), and the billing items adding up
 * to the winner confirms it. Tax bases, the "Composição" breakdown and tariffs have no total label.
 */
function readAmount(lines: readonly BillLine[], text: string): Field<number> | undefined {
  const line = readDigitableLine(text);
  const labelled = [
    ...labelledValues(lines, /total a pagar|valor a pagar|valor do documento/, "money", MONEY),
    ...labelledValues(lines, /\btotal\b|\bvalor\b/, "money", MONEY).filter((f) => f.how === "same_line"),
  ].map((f) => ({ value: parseMoney(f.value), weight: 1 }));
  const items = itemsSum(lines);
  const voted = vote([...labelled, ...(line && !line.checked ? [{ value: line.amountBrl, weight: 1 }] : [])]);
  if (line?.checked && line.amountBrl > 0) return { value: line.amountBrl, confidence: "high" };
  if (voted) {
    const confirmed = items !== undefined && Math.abs(items - voted.value) < 0.005;
    return confirmed ? { ...voted, confidence: "high" } : voted;
  }
  if (items !== undefined && items > 0) return { value: items, confidence: "low" };
  return undefined;
}

/** The billing items (TUSD, TE, taxes, CIP…) between the items header and their TOTAL line. */
function itemsSum(lines: readonly BillLine[]): number | undefined {
  const start = lines.findIndex((l) => /descri[cç][aã]o do faturamento|itens da fatura/.test(l.folded));
  if (start < 0) return undefined;
  let sum = 0;
  for (const l of lines.slice(start + 1, start + 16)) {
    if (/^total\b/.test(l.folded)) return Math.round(sum * 100) / 100;
    // Two columns joined by OCR: the items' column ends before a month-list or a "||".
    const left = l.raw.split(/\|\||\s(?=[A-Za-z]{3}\/\d{2}\s)/)[0] ?? "";
    const values = [...left.matchAll(MONEY)];
    const last = values.at(-1)?.[1];
    if (last && values.length > 0) sum += parseMoney(last);
  }
  return undefined;
}

/**
 * The month's consumption: a meter row whose readings differ by it (times the meter constant)
 * confirms it; item quantities ("468 kWh"), its label and the history's last month vote otherwise.
 */
function readConsumption(
  lines: readonly BillLine[],
  lastHistory: number | undefined,
): Field<number> | undefined {
  const candidates: Candidate<number>[] = [];
  const readings = meterRow(lines);
  if (readings) candidates.push({ value: readings, weight: 3 });
  for (const l of lines) {
    const q = /consumo\b.*?(?<![\d,.])(\d{1,3}(?:[.,]\d{3})+|\d{1,6})\s?kwh\b/.exec(l.folded);
    if (q?.[1]) candidates.push({ value: parseKwh(q[1]), weight: 1 });
  }
  for (const f of labelledValues(
    lines,
    /consumo kwh|consumo faturado|consumo/,
    "other",
    /(\d{1,3}(?:\.\d{3})+|\d{1,6})(?![\d,/])/,
  ))
    if (f.how === "same_line") candidates.push({ value: parseKwh(f.value), weight: 1 });
  if (lastHistory !== undefined) candidates.push({ value: lastHistory, weight: 1 });
  const voted = vote(candidates);
  if (!voted) return undefined;
  return readings === voted.value ? { value: voted.value, confidence: "high" } : voted;
}

/** "M482387 13059 13450 1 391 28": previous, current, constant, consumption = (current − previous) × constant. */
function meterRow(lines: readonly BillLine[]): number | undefined {
  const start = lines.findIndex((l) => /leitura anterior/.test(l.folded));
  const window = start >= 0 ? lines.slice(start, start + 6) : lines;
  const numbers = window.map((l) =>
    [...l.folded.matchAll(/(?<![\d,./\w])(\d{1,3}[.,]\d{3}|\d+)(?![\d/]|[.,]\d)/g)].map((m) =>
      parseKwh(m[1] ?? ""),
    ),
  );
  for (const nums of numbers)
    for (let i = 0; i + 3 < nums.length; i++) {
      const [a, b, k, c] = [nums[i] ?? 0, nums[i + 1] ?? 0, nums[i + 2] ?? 0, nums[i + 3] ?? 0];
      // Without the label the whole page is searched, and a blurred photo's garbage ("10 19 1 9") fits
      // the pattern by chance: there a reading must look like a meter's (3+ digits).
      if (b > a && k >= 1 && k <= 1000 && (b - a) * k === c && c > 0 && (start >= 0 || a >= 100)) return c;
    }
  // Readings printed apart from the consumption (a PDF text layer's own lines): a pair that differs by
  // a consumption printed in the window.
  // Only under the label: over a whole page of garbage some pair differs by some number by chance.
  if (start < 0) return undefined;
  const flat = numbers.flat();
  for (const c of flat)
    if (c > 0 && c < 100000 && flat.some((a) => flat.some((b) => b - a === c && a >= 100 && a !== c)))
      return c;
  return undefined;
}
