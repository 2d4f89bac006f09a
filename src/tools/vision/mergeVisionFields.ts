import type { VisionField, VisionValues } from "./checkBillFields.ts";

export type FieldConfidence = "high" | "medium" | "low";
export type ReadField = { value: string | number | number[]; confidence: FieldConfidence };
export type ReadFields = Record<string, ReadField>;

/**
 * Folds a vision model's reading into the OCR's (pure; returns a new map). The rules, per field the
 * vision model answered:
 *
 * | OCR        | vision agrees           | vision disagrees                  |
 * |------------|-------------------------|-----------------------------------|
 * | high       | unchanged               | unchanged: vision never overrides |
 * | medium     | OCR value, high         | OCR value, low                    |
 * | low        | OCR value, high         | vision value, medium              |
 * | missing    | —                       | vision value, medium              |
 *
 * Two independent readers (pixels through tesseract, and a language model) agreeing is what makes a
 * doubtful field sure; on agreement OCR's value is kept because it is already in canonical form
 * (the operator's distributor name). A medium OCR read that the model contradicts is no longer
 * trustworthy, but the model is not trusted more than the OCR either, so the field drops to low
 * (asked again or read from a better photo). A low OCR read is barely a reading: the model's
 * value replaces it, but only at medium, like any vision-only value, so the customer or a person
 * confirms it before it counts. Fields the model did not answer, and non-vision fields, pass as is.
 *
 * Agreement is judged per field: amounts to the cent, kWh exactly, the installation number and CEP
 * on their digits (leading zeros aside), text without case, accents or punctuation. Names are only
 * compared as text: map the model's distributor to the operator's canonical name before merging.
 */
export function mergeVisionFields(ocr: ReadFields, vision: VisionValues): ReadFields {
  const merged: ReadFields = { ...ocr };
  for (const [field, visionValue] of Object.entries(vision)) {
    if (visionValue === undefined || !isVisionField(field)) continue;
    const read = ocr[field];
    if (!read) {
      merged[field] = { value: visionValue, confidence: "medium" };
      continue;
    }
    if (read.confidence === "high") continue;
    if (agree(field, read.value, visionValue)) merged[field] = { value: read.value, confidence: "high" };
    else if (read.confidence === "medium") merged[field] = { value: read.value, confidence: "low" };
    else merged[field] = { value: visionValue, confidence: "medium" };
  }
  return merged;
}

// A record, not a list, so the compiler checks every VisionField is here.
const VISION_FIELDS: Record<VisionField, true> = {
  distributor: true,
  installation_number: true,
  amount_due_brl: true,
  consumption_kwh: true,
  due_date: true,
  reference_month: true,
  city: true,
  state: true,
  cep: true,
};
function isVisionField(field: string): field is VisionField {
  return Object.hasOwn(VISION_FIELDS, field);
}

function agree(field: VisionField, ocr: string | number | number[], vision: string | number): boolean {
  if (Array.isArray(ocr)) return false;
  switch (field) {
    case "amount_due_brl":
      return cents(ocr) !== undefined && cents(ocr) === cents(vision);
    case "consumption_kwh":
      return toNumber(ocr) !== undefined && toNumber(ocr) === toNumber(vision);
    case "installation_number":
    case "cep":
      return digits(ocr) !== "" && digits(ocr) === digits(vision);
    default:
      return words(String(ocr)) !== "" && words(String(ocr)) === words(String(vision));
  }
}

/** Numbers, or strings in the bill's own format ("1.234,56") or a plain one ("1234.56"). */
function toNumber(v: string | number): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  const s = v.replace(/[^\d.,-]/g, "");
  const n = Number(s.includes(",") ? s.replace(/\./g, "").replace(",", ".") : s);
  return s && Number.isFinite(n) ? n : undefined;
}
function cents(v: string | number): number | undefined {
  const n = toNumber(v);
  return n === undefined ? undefined : Math.round(n * 100);
}
const digits = (v: string | number) =>
  String(v)
    .replace(/\D/g, "")
    .replace(/^0+(?=\d)/, "");
const words = (s: string) =>
  s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
