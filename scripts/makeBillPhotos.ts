// Phone-photo development set for the bill OCR: `node scripts/makeBillPhotos.ts <out folder> [--from
// <bills folder>] [--per-severity 2] [--seed 7]`. Renders photo-like variants of the clean images and
// the scanned PDF's page (the text PDF has no image: sharp's libvips cannot render PDFs here) — page on
// a desk, rotated 2–7°, sheared (an affine stand-in for perspective), uneven light, blur, noise, JPEG
// quality 55–80, long side 1600 px — and writes next to each image its source's ground truth with
// variant "photo" and a `capture` object. Seeded, so the same arguments give the same files. The output
// is a development set to measure against, not test data to commit or to tune thresholds on.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { z } from "zod";
import { readPdf } from "../src/tools/ocr/readPdf.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    from: { type: "string", default: new URL("../../shared/fixtures/bills/", import.meta.url).pathname },
    "per-severity": { type: "string", default: "2" },
    seed: { type: "string", default: "7" },
  },
});
const out = positionals[0];
if (!out) {
  console.error(
    "usage: node scripts/makeBillPhotos.ts <out folder> [--from dir] [--per-severity 2] [--seed 7]",
  );
  process.exit(2);
}
mkdirSync(out, { recursive: true });

type Severity = "mild" | "medium" | "hard";
type Range = readonly [number, number];
/** How hard each severity degrades the photo; ranges drawn uniformly. Hard ≈ the shared bill_02 photo. */
const SEVERITIES: Record<
  Severity,
  { rotation: Range; shear: Range; blur: Range; jpeg: Range; noise: Range; light: Range; fill: Range }
> = {
  mild: {
    rotation: [2, 3.5],
    shear: [0, 0.02],
    blur: [0.6, 0.9],
    jpeg: [72, 80],
    noise: [2, 4],
    light: [0.1, 0.25],
    fill: [0.88, 0.95],
  },
  medium: {
    rotation: [3, 5],
    shear: [0.01, 0.035],
    blur: [0.8, 1.2],
    jpeg: [63, 74],
    noise: [4, 7],
    light: [0.2, 0.4],
    fill: [0.82, 0.92],
  },
  hard: {
    rotation: [4.5, 7],
    shear: [0.02, 0.05],
    blur: [1.2, 1.6],
    jpeg: [55, 65],
    noise: [6, 10],
    light: [0.35, 0.55],
    fill: [0.78, 0.88],
  },
};
/** Desk colours behind the page: wood, grey laminate, dark table. */
const DESKS = [
  [120, 86, 58],
  [150, 148, 140],
  [64, 60, 58],
  [176, 150, 118],
] as const;

/** mulberry32: a small seeded generator, so a run is reproducible without a dependency. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const truthSchema = z.looseObject({ is_bill: z.boolean(), variant: z.string(), file: z.string() });

/** The page images to degrade: clean PNGs as they are, a scanned PDF's page image (OCR'd PDFs only). */
async function sources(
  dir: string,
): Promise<{ name: string; page: Buffer; truth: z.infer<typeof truthSchema> }[]> {
  const found: { name: string; page: Buffer; truth: z.infer<typeof truthSchema> }[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith(".json")) continue;
    const truth = truthSchema.parse(JSON.parse(readFileSync(join(dir, f), "utf8")));
    if (!truth.is_bill) continue;
    const bytes = readFileSync(join(dir, truth.file));
    if (truth.variant === "clean") found.push({ name: f.slice(0, -5), page: bytes, truth });
    if (truth.variant === "pdf_scan") {
      const pdf = await readPdf(bytes, 1);
      const first = pdf.ok ? pdf.pages[0] : undefined;
      if (first && "image" in first) found.push({ name: f.slice(0, -5), page: first.image, truth });
    }
  }
  return found;
}

async function photo(page: Buffer, severity: Severity, rand: () => number) {
  const s = SEVERITIES[severity];
  const pick = ([lo, hi]: Range) => lo + (hi - lo) * rand();
  const sign = () => (rand() < 0.5 ? -1 : 1);
  const rotation = sign() * pick(s.rotation);
  const shearX = sign() * pick(s.shear);
  const shearY = sign() * pick(s.shear) * 0.5;
  const blur = pick(s.blur);
  const jpeg = Math.round(pick(s.jpeg));
  const noise = pick(s.noise);
  const light = pick(s.light);
  const fill = pick(s.fill);
  const colour = DESKS[Math.floor(rand() * DESKS.length)] ?? DESKS[0];
  const background = { r: colour[0], g: colour[1], b: colour[2] };

  // Rotation and shear as one affine matrix; sharp grows the canvas and fills it with the desk.
  const r = (rotation * Math.PI) / 180;
  const [c, sn] = [Math.cos(r), Math.sin(r)];
  const matrix: [[number, number], [number, number]] = [
    [c - sn * shearY, c * shearX - sn],
    [sn + c * shearY, sn * shearX + c],
  ];
  const tilted = await sharp(page)
    .removeAlpha()
    .toColourspace("srgb")
    .affine(matrix, { background, interpolator: "bicubic" })
    .png({ compressionLevel: 0 })
    .toBuffer({ resolveWithObject: true });
  // Desk around the page, unevenly (the phone is never centred), then the phone's resolution.
  const margin = (tilted.info.width / fill - tilted.info.width) / 2;
  const side = () => Math.round(margin * (0.4 + 1.2 * rand()));
  const desk = await sharp(tilted.data)
    .extend({ top: side(), bottom: side(), left: side(), right: side(), background })
    .png({ compressionLevel: 0 })
    .toBuffer();
  // A separate pipeline: within one, sharp resizes before it extends.
  const framed = await sharp(desk)
    .resize({ width: 1600, height: 1600, fit: "inside" })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = framed.info;
  const px = framed.data;
  // Uneven light: a linear fall-off from a random side plus a soft vignette, as under a ceiling lamp.
  const angle = rand() * 2 * Math.PI;
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = ((x / width - 0.5) * dx + (y / height - 0.5) * dy + 0.71) / 1.42;
      const v = ((x / width - 0.5) ** 2 + (y / height - 0.5) ** 2) * 2;
      const gain = (1 - light * u) * (1 - 0.25 * light * v);
      const i = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) px[i + k] = Math.min(255, (px[i + k] ?? 0) * gain);
    }
  }
  const blurred = await sharp(px, { raw: { width, height, channels: 3 } })
    .blur(blur)
    .raw()
    .toBuffer();
  // Sensor noise after the blur (it is not smoothed by the lens), the same on all channels plus a little chroma.
  for (let i = 0; i < blurred.length; i += 3) {
    const n = gauss() * noise;
    for (let k = 0; k < 3; k++)
      blurred[i + k] = Math.max(0, Math.min(255, (blurred[i + k] ?? 0) + n + gauss() * noise * 0.3));
  }
  const image = await sharp(blurred, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: jpeg })
    .toBuffer();
  const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
  return {
    image,
    capture: {
      severity,
      source: "photo",
      rotation_deg: round(rotation),
      shear: [round(shearX, 3), round(shearY, 3)],
      blur_sigma: round(blur),
      jpeg_quality: jpeg,
      noise_sigma: round(noise, 1),
      light_falloff: round(light),
    },
  };
}

const perSeverity = Number(values["per-severity"]);
const rand = rng(Number(values.seed));
let written = 0;
for (const src of await sources(values.from)) {
  for (const severity of ["mild", "medium", "hard"] as const) {
    for (let n = 1; n <= perSeverity; n++) {
      const { image, capture } = await photo(src.page, severity, rand);
      const base = `${src.name}__${severity}_${n}`;
      writeFileSync(join(out, `${base}.jpg`), image);
      const truth = {
        ...src.truth,
        variant: "photo",
        capture: { ...capture, from: src.truth.file },
        file: `${base}.jpg`,
      };
      writeFileSync(join(out, `${base}.json`), `${JSON.stringify(truth, null, 2)}\n`);
      written++;
      console.log(
        `${base}.jpg  rot ${capture.rotation_deg}°  blur ${capture.blur_sigma}  q${capture.jpeg_quality}`,
      );
    }
  }
}
console.log(`${written} photos in ${out}`);
