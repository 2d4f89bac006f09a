import sharp from "sharp";

export type PrepareOptions = {
  /** Long side the photo is bounded to before it is analysed (never enlarged here). */
  longSide: number;
  /** Divide by an estimate of the paper's brightness, so shadows and lamp fall-off become white. */
  flatten: boolean;
  /** Measure the text lines' tilt and rotate the page level. */
  deskew: boolean;
  /**
   * Final scale factor (e.g. 2): a phone photo's letters are ~7 px high, too small for tesseract's
   * line finder; enlarging last keeps the analysis above cheap.
   */
  enlarge?: number;
};
export type PreparedPage = { png: Buffer; angle: number };

/** Shrink factor of the copy the paper brightness is estimated on: letters vanish in its max filter. */
const BACKGROUND_SCALE = 8;
/** Long side of the binarised copy the skew is measured on: enough rows to separate text lines. */
const SKEW_SIDE = 900;
/** Tilts beyond this are not a hand-held photo of a page on a desk; the search stops there. */
const MAX_SKEW = 10;
/** Radius of the closing that estimates the paper (in pixels of the 1/8 copy). */
const CLOSING_RADIUS = 4;
/** Brightness relative to the paper from which a pixel is paper (white) and up to which it is ink (black). */
const PAPER = 0.88;
const INK = 0.2;

/**
 * A bill photo made easy for tesseract: EXIF rotation, grayscale, long side bounded; then, for phone
 * photos, flat-field correction — each pixel divided by the local paper brightness (a max filter on a
 * small copy, which drops the letters, then blurred), so a dark lower half, a lamp's fall-off and the
 * desk around the page turn white while the ink stays dark — and deskew by a projection-profile search
 * (the angle at which the ink's row histogram is sharpest), since tesseract's layout analysis splits
 * tilted lines and columns into fragments.
 */
export async function preparePage(image: Buffer, opts: PrepareOptions): Promise<PreparedPage> {
  const { data, info } = await sharp(image, { failOn: "error" })
    .rotate()
    .resize({ width: opts.longSide, height: opts.longSide, fit: "inside", withoutEnlargement: true })
    .grayscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  let gray: Buffer = data;
  if (opts.flatten) gray = await flatten(gray, width, height);
  const raw = { raw: { width, height, channels: 1 as const } };
  let angle = 0;
  if (opts.deskew) angle = await skewOf(gray, width, height);
  // Below a quarter degree tesseract copes, and resampling would only soften the letters.
  let page = sharp(gray, raw);
  if (Math.abs(angle) >= 0.25) {
    const level = await page
      .rotate(-angle, { background: "#fff" })
      .toColourspace("b-w")
      .raw()
      .toBuffer({ resolveWithObject: true });
    page = sharp(level.data, { raw: { width: level.info.width, height: level.info.height, channels: 1 } });
  }
  if (opts.enlarge && opts.enlarge > 1)
    page = page.resize({ width: Math.round(width * opts.enlarge), kernel: "lanczos3" });
  // The flattened page is already stretched from ink to paper; normalising again would lift the noise.
  if (!opts.flatten) page = page.normalise();
  const png = await page.toColourspace("b-w").png({ compressionLevel: 1 }).toBuffer();
  return { png, angle };
}

async function flatten(gray: Buffer, width: number, height: number): Promise<Buffer> {
  const sw = Math.max(1, Math.round(width / BACKGROUND_SCALE));
  const sh = Math.max(1, Math.round(height / BACKGROUND_SCALE));
  const small = await sharp(gray, { raw: { width, height, channels: 1 } })
    .resize(sw, sh, { fit: "fill" })
    .toColourspace("b-w")
    .raw()
    .toBuffer();
  // Closing (max filter, then min filter; radius 4 at 1/8 scale ≈ 70 px on the page): letters and the
  // bills' coloured bars are narrower and vanish, while the desk around the page is wider and keeps its
  // own level — a max filter alone would spread the paper's brightness over the desk and leave a dark
  // frame round the page, which tesseract takes for a picture holding the text.
  const r = CLOSING_RADIUS;
  const maxed = maxFilter(maxFilter(small, sw, sh, r, true, 1), sw, sh, r, false, 1);
  const closed = maxFilter(maxFilter(maxed, sw, sh, r, true, -1), sw, sh, r, false, -1);
  const background = await sharp(closed, { raw: { width: sw, height: sh, channels: 1 } })
    .blur(1)
    .resize(width, height, { fit: "fill", kernel: "linear" })
    .toColourspace("b-w")
    .raw()
    .toBuffer();
  const out = Buffer.allocUnsafe(gray.length);
  for (let i = 0; i < gray.length; i++) {
    const bg = Math.max(16, background[i] ?? 255);
    // Paper (ratio ≥ PAPER) turns pure white, so the camera's noise on the paper and the desk stops
    // looking like specks of print to tesseract's layout analysis; ink keeps its grey levels.
    const ratio = (gray[i] ?? 0) / bg;
    out[i] = Math.max(0, Math.min(255, Math.round((255 * (ratio - INK)) / (PAPER - INK))));
  }
  return out;
}

/** Separable running max (sign 1) or min (sign -1) along rows (horizontal) or columns. */
function maxFilter(src: Buffer, w: number, h: number, r: number, horizontal: boolean, sign: 1 | -1): Buffer {
  const out = Buffer.allocUnsafe(src.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let m = sign === 1 ? 0 : 255;
      for (let d = -r; d <= r; d++) {
        const xx = horizontal ? Math.min(w - 1, Math.max(0, x + d)) : x;
        const yy = horizontal ? y : Math.min(h - 1, Math.max(0, y + d));
        const v = src[yy * w + xx] ?? 0;
        if (sign === 1 ? v > m : v < m) m = v;
      }
      out[y * w + x] = m;
    }
  return out;
}

/**
 * The tilt of the text lines in degrees (positive: lines fall to the right), by maximising the sum of
 * squared ink counts per row over rotated coordinates: level text gives tall narrow peaks.
 */
async function skewOf(gray: Buffer, width: number, height: number): Promise<number> {
  const scale = Math.min(1, SKEW_SIDE / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const small = await sharp(gray, { raw: { width, height, channels: 1 } })
    .resize(w, h, { fit: "fill" })
    .threshold(150)
    .toColourspace("b-w")
    .raw()
    .toBuffer();
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if ((small[y * w + x] ?? 255) === 0) {
        xs.push(x);
        ys.push(y);
      }
  // A page with almost no ink (or all ink) has no lines to measure.
  if (xs.length < 200 || xs.length > w * h * 0.5) return 0;
  const diag = Math.ceil(Math.hypot(w, h));
  const bins = new Float64Array(2 * diag + 1);
  const score = (deg: number): number => {
    const a = (deg * Math.PI) / 180;
    const [c, s] = [Math.cos(a), Math.sin(a)];
    bins.fill(0);
    for (let i = 0; i < xs.length; i++) {
      const row = Math.round((ys[i] ?? 0) * c - (xs[i] ?? 0) * s) + diag;
      bins[row] = (bins[row] ?? 0) + 1;
    }
    let sum = 0;
    for (const b of bins) sum += b * b;
    return sum;
  };
  const search = (from: number, to: number, step: number): number => {
    let best = 0;
    let bestScore = -1;
    for (let deg = from; deg <= to + 1e-9; deg += step) {
      const v = score(deg);
      if (v > bestScore) [best, bestScore] = [deg, v];
    }
    return best;
  };
  const coarse = search(-MAX_SKEW, MAX_SKEW, 0.5);
  return Math.round(search(coarse - 0.5, coarse + 0.5, 0.1) * 100) / 100;
}
