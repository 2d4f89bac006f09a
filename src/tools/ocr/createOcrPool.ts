import { createRequire } from "node:module";
import { createWorker, type Worker } from "tesseract.js";
import { z } from "zod";
import { preparePage } from "./preparePage.ts";

const require = createRequire(import.meta.url);
// The Portuguese model ships in an npm package: nothing is downloaded at run time.
const por = z.object({ langPath: z.string() }).parse(require("@tesseract.js-data/por"));

export type OcrResult = { text: string; confidence: number; ms: number; deskewed?: boolean };
/**
 * "fast": the photo as it is, grayscale and normalised — enough for clean pages and scans.
 * "thorough": flat-field corrected, deskewed and enlarged 2× — for phone photos, at about twice the cost.
 */
export type OcrPreparation = "fast" | "thorough";
export type OcrPool = {
  /** Without a preparation: the fast one, then the thorough one when confidence is low (better kept). */
  read: (image: Buffer, preparation?: OcrPreparation) => Promise<OcrResult>;
  close: () => Promise<void>;
};
export type OcrPoolOptions = {
  /** Long side the page is scaled down to before OCR (bills are read best at 1600–2000 px). */
  longSide?: number;
  /** Mean word confidence under which `read(image)` also tries the thorough preparation; the better pass is kept. */
  retryBelow?: number;
};

/**
 * A warm pool of tesseract.js workers (each its own worker thread, so the event loop stays free),
 * created once — lazily, on the first image — and reused. Images are prepared with sharp (see
 * preparePage): EXIF rotation, grayscale, normalised contrast, long side bounded; the thorough
 * preparation adds flat-field correction, a projection-profile deskew and 2× enlargement (1.5× was ~13% faster but lost 3 of 90 key fields on the development set), which phone
 * photos need and clean pages do not pay for unless asked.
 */
export function createOcrPool(size: number, options: OcrPoolOptions = {}): OcrPool {
  const longSide = options.longSide ?? 2000;
  const retryBelow = options.retryBelow ?? 60;
  let workers: Promise<Worker[]> | undefined;
  const idle: Worker[] = [];
  const waiting: ((w: Worker) => void)[] = [];
  const start = () => {
    workers ??= Promise.all(
      Array.from({ length: size }, () =>
        createWorker("por", 1, { langPath: por.langPath, gzip: true, cacheMethod: "none" }),
      ),
    ).then((ws) => {
      idle.push(...ws);
      return ws;
    });
    return workers;
  };
  const acquire = async (): Promise<Worker> => {
    await start();
    const w = idle.pop();
    if (w) return w;
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (w: Worker) => {
    const next = waiting.shift();
    if (next) next(w);
    else idle.push(w);
  };
  return {
    async read(image, preparation) {
      const prepare = (p: OcrPreparation) =>
        preparePage(
          image,
          p === "fast"
            ? { longSide, flatten: false, deskew: false }
            : { longSide, flatten: true, deskew: true, enlarge: 2 },
        );
      const fast = preparation === "thorough" ? undefined : await prepare("fast");
      const worker = await acquire();
      const started = performance.now();
      try {
        if (!fast) {
          const page = await prepare("thorough");
          const { text, confidence } = (await worker.recognize(page.png)).data;
          return {
            text,
            confidence,
            deskewed: page.angle !== 0,
            ms: Math.round(performance.now() - started),
          };
        }
        const first = (await worker.recognize(fast.png)).data;
        let best = { text: first.text, confidence: first.confidence, deskewed: false };
        if (preparation === undefined && first.confidence < retryBelow) {
          const page = await prepare("thorough");
          const second = (await worker.recognize(page.png)).data;
          if (second.confidence > first.confidence)
            best = { text: second.text, confidence: second.confidence, deskewed: page.angle !== 0 };
        }
        return { ...best, ms: Math.round(performance.now() - started) };
      } finally {
        release(worker);
      }
    },
    async close() {
      if (!workers) return;
      const ws = await workers;
      await Promise.all(ws.map((w) => w.terminate()));
    },
  };
}
