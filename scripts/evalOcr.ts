// Bill-reading evaluation: `npm run eval:ocr -- <folder> [--json out.json] [--min-key-accuracy 0.6]`.
// Reads every image/PDF in the folder with its `<name>.json` ground truth (format in
// ../shared/fixtures/bills/README.md), prints per-field accuracy by variant, key-field accuracy,
// non-bill detection and latency, and exits 1 only when key-field accuracy is below the floor.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { z } from "zod";
import { normalizeText } from "../src/agents/extract/normalizeText.ts";
import { agentDefinitionSchema } from "../src/agents/runtime/agentDefinition.ts";
import { createOcrPool } from "../src/tools/ocr/createOcrPool.ts";
import type { BillFields } from "../src/tools/ocr/extractBillFields.ts";
import { createBillReader, KEY_FIELDS } from "../src/tools/ocr/readBill.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: "string" },
    "min-key-accuracy": { type: "string" },
    distributors: { type: "string" },
    "max-pdf-pages": { type: "string", default: "3" },
    // Reads each document this many times; its latency is the median (the machine is shared).
    repeat: { type: "string", default: "1" },
  },
});
const folder = positionals[0];
if (!folder) {
  console.error("usage: npm run eval:ocr -- <folder> [--json out.json] [--min-key-accuracy 0.6]");
  process.exit(2);
}

const truthSchema = z.object({
  is_bill: z.boolean(),
  variant: z.string().default("unknown"),
  file: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).optional(),
  capture: z.object({ severity: z.string().optional() }).loose().optional(),
});
const FIELDS = [
  "distributor",
  "customer_name",
  "installation_number",
  "client_number",
  "cpf_masked",
  "address",
  "cep",
  "city",
  "state",
  "tariff_class",
  "reference_month",
  "due_date",
  "amount_due_brl",
  "consumption_kwh",
  "history_kwh",
] as const;
type FieldName = (typeof FIELDS)[number];
const MIME: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".pdf": "application/pdf",
};

/** The README's comparison rules: names case/accent-insensitive, amounts within half a cent, null = absent. */
function same(field: FieldName, got: unknown, want: unknown): boolean {
  if (want === null || want === undefined) return got === undefined || got === null;
  if (field === "amount_due_brl")
    return typeof got === "number" && typeof want === "number" && Math.abs(got - want) < 0.005;
  if (field === "history_kwh") return JSON.stringify(got) === JSON.stringify(want);
  if (typeof got !== "string" || typeof want !== "string") return got === want;
  if (["customer_name", "address", "city", "distributor", "tariff_class"].includes(field))
    return (
      normalizeText(got).replace(/[.,-]/g, " ").replace(/\s+/g, " ") ===
      normalizeText(want).replace(/[.,-]/g, " ").replace(/\s+/g, " ")
    );
  return got === want;
}

const distributorsFile =
  values.distributors ?? new URL("../agents/lead_qualification.yaml", import.meta.url).pathname;
const def = agentDefinitionSchema.parse(parse(readFileSync(distributorsFile, "utf8")));
const pool = createOcrPool(1);
const read = createBillReader({
  pool,
  distributors: def.data.distributors,
  maxPdfPages: Number(values["max-pdf-pages"]),
});

type Row = {
  file: string;
  variant: string;
  severity?: string;
  isBill: boolean;
  detected: boolean;
  problems: string[];
  ms: number;
  runs: number[];
  pages: number;
  fields: Partial<Record<FieldName, boolean>>;
};
const rows: Row[] = [];
const docs = readdirSync(folder)
  .filter((f) => MIME[f.slice(f.lastIndexOf(".")).toLowerCase()])
  .sort();
// Warm the pool (workers start lazily) so the first document's latency is comparable.
await pool.read(
  await import("sharp").then((s) =>
    s
      .default({ create: { width: 64, height: 64, channels: 3, background: "#fff" } })
      .png()
      .toBuffer(),
  ),
);
for (const file of docs) {
  const base = file.slice(0, file.lastIndexOf("."));
  let truth: z.infer<typeof truthSchema>;
  try {
    truth = truthSchema.parse(JSON.parse(readFileSync(join(folder, `${base}.json`), "utf8")));
  } catch {
    console.error(`skipped ${file}: no readable ${base}.json`);
    continue;
  }
  const mimeType = MIME[file.slice(file.lastIndexOf(".")).toLowerCase()] ?? "";
  const bytes = readFileSync(join(folder, file));
  const result = await read({ bytes, mimeType });
  const runs = [result.ms];
  for (let n = 1; n < Number(values.repeat); n++) runs.push((await read({ bytes, mimeType })).ms);
  runs.sort((a, b) => a - b);
  const ms = runs[Math.floor(runs.length / 2)] ?? result.ms;
  const fields: Row["fields"] = {};
  if (truth.is_bill)
    for (const f of FIELDS) fields[f] = same(f, (result.fields as BillFields)[f]?.value, truth.fields?.[f]);
  rows.push({
    file,
    variant: truth.variant,
    severity: truth.capture?.severity,
    isBill: truth.is_bill,
    detected: result.isBill,
    problems: result.problems,
    ms,
    runs,
    pages: result.pages,
    fields,
  });
  const wrong = FIELDS.filter((f) => fields[f] === false);
  console.log(
    `${file.padEnd(28)} ${String(ms).padStart(6)} ms  ${result.source.padEnd(8)} ${truth.is_bill ? `${FIELDS.length - wrong.length}/${FIELDS.length}` : result.isBill ? "non-bill MISSED" : "non-bill ok"}${wrong.length ? `  wrong: ${wrong.join(", ")}` : ""}${result.problems.length ? `  problems: ${result.problems.join(",")}` : ""}`,
  );
}
await pool.close();

const pct = (n: number, d: number) => (d === 0 ? "  -  " : `${((100 * n) / d).toFixed(0).padStart(3)}%`);
const bills = rows.filter((r) => r.isBill);
const variants = [...new Set(bills.map((r) => r.variant))].sort();
const accuracy = (rs: Row[], fs: readonly FieldName[]) => {
  const checks = rs.flatMap((r) => fs.map((f) => r.fields[f] === true));
  return { ok: checks.filter(Boolean).length, total: checks.length };
};
console.log(`\nper-field accuracy by variant (${bills.length} bills)`);
console.log(`${"field".padEnd(20)}${variants.map((v) => v.padStart(10)).join("")}${"all".padStart(10)}`);
for (const f of FIELDS) {
  const cell = (rs: Row[]) => {
    const a = accuracy(rs, [f]);
    return pct(a.ok, a.total).padStart(10);
  };
  console.log(
    `${f.padEnd(20)}${variants.map((v) => cell(bills.filter((r) => r.variant === v))).join("")}${cell(bills)}`,
  );
}
const keyBy = Object.fromEntries(
  variants.map((v) => [
    v,
    accuracy(
      bills.filter((r) => r.variant === v),
      KEY_FIELDS,
    ),
  ]),
);
const key = accuracy(bills, KEY_FIELDS);
console.log(
  `${"KEY FIELDS".padEnd(20)}${variants.map((v) => pct(keyBy[v]?.ok ?? 0, keyBy[v]?.total ?? 0).padStart(10)).join("")}${pct(key.ok, key.total).padStart(10)}`,
);
const severities = [...new Set(bills.flatMap((r) => (r.severity ? [r.severity] : [])))].sort();
if (severities.length > 0)
  console.log(
    `key fields by capture severity: ${severities
      .map((s) => {
        const a = accuracy(
          bills.filter((r) => r.severity === s),
          KEY_FIELDS,
        );
        return `${s} ${pct(a.ok, a.total).trim()} (${a.ok}/${a.total})`;
      })
      .join(", ")}`,
  );
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
for (const v of variants) {
  const all = rows
    .filter((r) => r.variant === v)
    .flatMap((r) => r.runs.map((ms) => ms / Math.max(1, r.pages)));
  console.log(
    `latency ${v}: median ${Math.round(median(all))} ms, min ${Math.round(Math.min(...all))} ms, max ${Math.round(Math.max(...all))} ms (${all.length} reads)`,
  );
}
const nonBills = rows.filter((r) => !r.isBill);
console.log(
  `non-bill detection: ${nonBills.filter((r) => !r.detected).length}/${nonBills.length} rejected; bills taken as bills: ${bills.filter((r) => r.detected).length}/${bills.length}`,
);
const perPage = rows.map((r) => r.ms / Math.max(1, r.pages)).sort((a, b) => a - b);
const q = (p: number) =>
  Math.round(perPage[Math.min(perPage.length - 1, Math.floor(p * perPage.length))] ?? 0);
console.log(
  `latency per page: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, min ${Math.round(perPage[0] ?? 0)} ms, max ${Math.round(perPage.at(-1) ?? 0)} ms (${perPage.length} documents); RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
);

const keyAccuracy = key.total === 0 ? 1 : key.ok / key.total;
if (values.json)
  writeFileSync(
    values.json,
    `${JSON.stringify({ rows, keyAccuracy, keyByVariant: keyBy, latencyMs: { p50: q(0.5), p95: q(0.95) } }, null, 2)}\n`,
  );
const floor = values["min-key-accuracy"] === undefined ? undefined : Number(values["min-key-accuracy"]);
if (floor !== undefined && keyAccuracy < floor) {
  console.error(`key-field accuracy ${keyAccuracy.toFixed(3)} is below the floor ${floor}`);
  process.exit(1);
}
