import sharp from "sharp";
import { extractImages, getDocumentProxy } from "unpdf";

export type PdfPage = { text: string } | { image: Buffer } | { empty: true };
export type PdfRead =
  | { ok: true; pages: PdfPage[]; totalPages: number }
  | { ok: false; problem: "encrypted" | "corrupt" };

/** The largest embedded image decoded: a phone photo of a bill at 300 dpi is well under this. */
export const MAX_PDF_IMAGE_PIXELS = 40_000_000;

/** Fewer printable characters than this on a page: a scan, not a text layer. */
const MIN_TEXT_CHARS = 40;

/**
 * The first `maxPages` pages of a PDF: each page's text layer as lines in reading order (items grouped
 * by their baseline, left to right — the order pdf.js yields them follows the page's boxes, which puts
 * labels far from their values), or, for a scanned page, its largest embedded image as PNG for OCR.
 * pdf.js runs on this thread, so the page cap bounds the time; images are decoded by sharp.
 */
export async function readPdf(bytes: Buffer, maxPages: number): Promise<PdfRead> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js decodes an embedded image only up to this many pixels: a 63 KB file can declare
    // 8000x8000 (hundreds of megabytes decoded) or far more.
    pdf = await getDocumentProxy(new Uint8Array(bytes), {
      stopAtErrors: true,
      verbosity: 0,
      maxImageSize: MAX_PDF_IMAGE_PIXELS,
    });
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    return { ok: false, problem: name === "PasswordException" ? "encrypted" : "corrupt" };
  }
  try {
    const count = Math.min(pdf.numPages, maxPages);
    const pages: PdfPage[] = [];
    for (let n = 1; n <= count; n++) {
      // Page by page: a 20,000-page upload costs what its first pages cost, never the whole file.
      const text = linesOf(await pageItems(pdf, n));
      if (text.replace(/\s/g, "").length >= MIN_TEXT_CHARS) {
        pages.push({ text });
        continue;
      }
      const images = await extractImages(pdf, n);
      const largest = images.sort((a, b) => b.width * b.height - a.width * a.height)[0];
      if (!largest) {
        pages.push({ empty: true });
        continue;
      }
      const image = await sharp(
        Buffer.from(largest.data.buffer, largest.data.byteOffset, largest.data.byteLength),
        {
          raw: { width: largest.width, height: largest.height, channels: largest.channels },
        },
      )
        .png({ compressionLevel: 1 })
        .toBuffer();
      pages.push({ image });
    }
    return { ok: true, pages, totalPages: pdf.numPages };
  } catch {
    return { ok: false, problem: "corrupt" };
  } finally {
    await pdf.loadingTask.destroy();
  }
}

type Item = { str: string; x: number; y: number; width: number; height: number };

/** One page's text items with their position (the transform's translation), as pdf.js lays them. */
async function pageItems(pdf: Awaited<ReturnType<typeof getDocumentProxy>>, n: number): Promise<Item[]> {
  const content = await (await pdf.getPage(n)).getTextContent();
  return content.items.flatMap((item) =>
    "str" in item
      ? [
          {
            str: item.str,
            x: item.transform[4] ?? 0,
            y: item.transform[5] ?? 0,
            width: item.width,
            height: item.height,
          },
        ]
      : [],
  );
}

/**
 * The page's text in reading order: when a vertical gutter splits the page into a sidebar and a main
 * column, the left column is read first, then the right one, each as lines.
 */
function linesOf(items: readonly Item[]): string {
  const words = items.filter((i) => i.str.trim().length > 0);
  const gutter = findGutter(words);
  if (gutter === undefined) return rows(words);
  const left = words.filter((w) => w.x < gutter);
  return `${rows(left)}\n${rows(words.filter((w) => w.x >= gutter))}`;
}

/** An x no more than 2% of the items cross, with a fifth of the items on each side; the widest such gap. */
function findGutter(words: readonly Item[]): number | undefined {
  if (words.length < 20) return undefined;
  const right = Math.max(...words.map((w) => w.x + w.width));
  let best: { x: number; width: number } | undefined;
  let run: number | undefined;
  for (let x = right * 0.1; x <= right * 0.9; x += 2) {
    const crossing = words.filter((w) => w.x < x && w.x + w.width > x).length;
    const leftCount = words.filter((w) => w.x + w.width <= x).length;
    const ok =
      crossing <= words.length * 0.02 &&
      leftCount >= words.length * 0.2 &&
      words.length - leftCount - crossing >= words.length * 0.2;
    if (ok) {
      run ??= x;
      if (!best || x - run > best.width) best = { x: (run + x) / 2, width: x - run };
    } else run = undefined;
  }
  return best && best.width >= 6 ? best.x : undefined;
}

function rows(items: readonly Item[]): string {
  const words = [...items].sort((a, b) => b.y - a.y || a.x - b.x);
  const lines: Item[][] = [];
  for (const w of words) {
    const line = lines.at(-1);
    const first = line?.[0];
    // Same baseline within a third of the text height.
    if (line && first && Math.abs(first.y - w.y) <= Math.max(1, Math.min(first.height, w.height) / 3))
      line.push(w);
    else lines.push([w]);
  }
  return lines
    .map((l) =>
      l
        .sort((a, b) => a.x - b.x)
        .map((i) => i.str.trim())
        .join(" "),
    )
    .join("\n");
}
