import sharp from "sharp";
import type { Distributor } from "../../agents/extract/matchDistributor.ts";
import { foldText } from "./billText.ts";
import type { OcrPool, OcrPreparation } from "./createOcrPool.ts";
import { type BillFields, extractBillFields } from "./extractBillFields.ts";
import { type ImageQuality, imageQuality } from "./imageQuality.ts";
import { readPdfIsolated } from "./readPdfIsolated.ts";

export type BillProblem =
  | "not_a_bill"
  | "dark"
  | "blurred"
  | "cut"
  | "unreadable"
  | "corrupt"
  | "encrypted"
  | "unsupported_type";
export type BillResult = {
  isBill: boolean;
  fields: BillFields;
  problems: BillProblem[];
  source: "pdf_text" | "ocr";
  pages: number;
  ms: number;
  ocrConfidence?: number;
};
export type BillReader = (doc: { bytes: Buffer; mimeType: string }) => Promise<BillResult>;

const IMAGE_TYPES = new Set(["image/jpeg", "image/jpg", "image/png", "image/webp"]);
/** The fields sales needs; when one is missing the customer is asked for a better picture. */
export const KEY_FIELDS = [
  "distributor",
  "amount_due_brl",
  "installation_number",
  "consumption_kwh",
  "due_date",
] as const;
const WEIGHT = { high: 3, medium: 2, low: 1, missing: 0 } as const;
/** Mean brightness (0–255) below which a photo is too dark to read. */
const DARK = 70;
/** sharp's sharpness estimate below which the text is too blurred (a clean scan is ~5–15, heavy blur < 1.5). */
const BLURRED = 1.5;
/** Labels every bill prints near its key fields: missing ones mean the photo cut them off. */
const KEY_LABELS = [/venc/, /total|pagar|valor/, /kwh|consumo/, /instala|unidade consumidora|\buc\b|cliente/];

/** Largest image decoded (48 MP: any phone camera; a decompression bomb is refused as corrupt). */
const MAX_IMAGE_PIXELS = 48_000_000;

/**
 * Reads a customer's bill — a photo (JPEG, PNG, WebP) or a PDF — into validated fields. PDFs use their
 * text layer when they have one; scanned pages (only an image) are OCR'd, and only the first
 * `maxPdfPages` pages are read. Never throws on bad input: the reason goes into `problems`, worded
 * so the conversation can ask for another file ("corrupt", "encrypted") or a better photo ("dark",
 * "blurred", "cut", "unreadable"), or say it is not a bill.
 */
export function createBillReader(opts: {
  pool: OcrPool;
  distributors: readonly Distributor[];
  maxPdfPages: number;
}): BillReader {
  const fail = (problem: BillProblem, started: number, source: BillResult["source"] = "ocr"): BillResult => ({
    isBill: false,
    fields: {},
    problems: [problem],
    source,
    pages: 0,
    ms: Math.round(performance.now() - started),
  });

  /** Every page through one preparation: the text joined, the mean confidence; undefined when an image is corrupt. */
  const ocr = async (images: Buffer[], preparation: OcrPreparation) => {
    const texts: string[] = [];
    const confidences: number[] = [];
    for (const image of images) {
      const read = await opts.pool.read(image, preparation);
      texts.push(read.text);
      confidences.push(read.confidence);
    }
    const text = texts.join("\n");
    const confidence = confidences.reduce((a, b) => a + b, 0) / Math.max(1, confidences.length);
    return { text, confidence, reading: extractBillFields(text, opts.distributors) };
  };
  /** How well a reading got the key fields: 3 a field read with high confidence, 2 medium, 1 low, 0 missing. */
  const keyScore = (fields: BillFields) =>
    KEY_FIELDS.reduce((sum, k) => sum + WEIGHT[fields[k]?.confidence ?? "missing"], 0);

  const fromImages = async (images: Buffer[], started: number, pages: number): Promise<BillResult> => {
    let quality: ImageQuality | undefined;
    let best: Awaited<ReturnType<typeof ocr>>;
    try {
      const first = images[0];
      if (first) quality = await imageQuality(first);
      // Read once as the page comes; only when a key field is missing or failed its checks (a phone
      // photo: tilt, shadow, small letters) pay for the thorough preparation, and keep the reading
      // whose key fields are more complete and better confirmed (the first one on a tie).
      best = await ocr(images, "fast");
      if (KEY_FIELDS.some((k) => (best.reading.fields[k]?.confidence ?? "low") === "low")) {
        const second = await ocr(images, "thorough");
        if (keyScore(second.reading.fields) > keyScore(best.reading.fields))
          best = {
            ...second,
            reading: { ...second.reading, fields: vouched(second.reading.fields, best.reading.fields) },
          };
      }
    } catch {
      return fail("corrupt", started);
    }
    const { text, reading, confidence } = best;
    return {
      ...reading,
      problems: problemsOf(reading.isBill, reading.fields, text, quality),
      source: "ocr",
      pages,
      ms: Math.round(performance.now() - started),
      ocrConfidence: Math.round(confidence),
    };
  };

  return async ({ bytes, mimeType }) => {
    const started = performance.now();
    const type = mimeType.split(";")[0]?.trim().toLowerCase() ?? "";
    if (IMAGE_TYPES.has(type)) {
      try {
        // Decoding the header and the pixels catches truncated and garbage files before OCR. The
        // pixel bound comes first: a small PNG can declare 16000x16000 pixels (a gigabyte decoded).
        await sharp(bytes, { failOn: "error", limitInputPixels: MAX_IMAGE_PIXELS }).stats();
      } catch {
        return fail("corrupt", started);
      }
      return fromImages([bytes], started, 1);
    }
    if (type !== "application/pdf") return fail("unsupported_type", started);
    if (bytes.subarray(0, 1024).indexOf("%PDF-") < 0) return fail("corrupt", started, "pdf_text");
    const pdf = await readPdfIsolated(bytes, opts.maxPdfPages);
    if (!pdf.ok) return fail(pdf.problem, started, "pdf_text");
    const texts = pdf.pages.flatMap((p) => ("text" in p ? [p.text] : []));
    const images = pdf.pages.flatMap((p) => ("image" in p ? [p.image] : []));
    if (texts.length > 0 || images.length === 0) {
      const text = texts.join("\n");
      const reading = extractBillFields(text, opts.distributors);
      return {
        ...reading,
        problems: problemsOf(reading.isBill, reading.fields, text, undefined),
        source: "pdf_text",
        pages: pdf.pages.length,
        ms: Math.round(performance.now() - started),
      };
    }
    return fromImages(images, started, pdf.pages.length);
  };
}

/**
 * The thorough reading's fields, trusted less: it was needed because the photo is poor, and a value
 * only it read with a single labelled match ("medium") is as likely a misread (a "9" for "428") as a
 * reading — so it drops to "low" (the customer is asked) unless the fast reading had the same value.
 * Values a check confirmed ("high") keep their confidence.
 */
function vouched(fields: BillFields, first: BillFields): BillFields {
  const out: BillFields = { ...fields };
  for (const k of Object.keys(out) as (keyof BillFields)[]) {
    const f = out[k];
    if (f?.confidence !== "medium") continue;
    if (JSON.stringify(first[k]?.value) === JSON.stringify(f.value)) continue;
    Object.assign(out, { [k]: { ...f, confidence: "low" } });
  }
  return out;
}

/** Why a document is not usable, most specific reason first; empty when every key field was read. */
function problemsOf(
  isBill: boolean,
  fields: BillFields,
  text: string,
  quality: ImageQuality | undefined,
): BillProblem[] {
  const looks: BillProblem[] = [];
  if (quality && quality.brightness < DARK) looks.push("dark");
  if (quality && quality.sharpness < BLURRED) looks.push("blurred");
  if (!isBill) return ["not_a_bill", ...looks];
  if (KEY_FIELDS.every((k) => fields[k] !== undefined)) return [];
  if (looks.length > 0) return looks;
  const folded = foldText(text);
  return KEY_LABELS.some((l) => !l.test(folded)) ? ["cut"] : ["unreadable"];
}
