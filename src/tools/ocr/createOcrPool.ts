import { createRequire } from "node:module";
import sharp from "sharp";
import { createWorker, type Worker } from "tesseract.js";
import { z } from "zod";

const require = createRequire(import.meta.url);
// The Portuguese model ships in an npm package: nothing is downloaded at run time.
const por = z.object({ langPath: z.string() }).parse(require("@tesseract.js-data/por"));

export type OcrResult = { text: string; confidence: number; ms: number; deskewed?: boolean };
export type OcrPool = { read: (image: Buffer) => Promise<OcrResult>; close: () => Promise<void> };
export type OcrPoolOptions = {
  /** Long side the page is scaled down to before OCR (bills are read best at 1600–2000 px). */
  longSide?: number;
  /** Mean word confidence under which a second, deskewed pass is tried; the better pass is kept. */
  retryBelow?: number;
};

/**
 * A warm pool of tesseract.js workers (each its own worker thread, so the event loop stays free),
 * created once — lazily, on the first image — and reused. Images are prepared with sharp: EXIF
 * rotation, grayscale, normalised contrast, long side bounded. A page read with low confidence (a
 * tilted phone photo) is read again with tesseract's own skew estimate applied (`rotateAuto`), and the
 * pass with the better confidence wins: clean pages pay nothing for it.
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
    async read(image) {
      const prepared = await sharp(image, { failOn: "error" })
        .rotate()
        .resize({ width: longSide, height: longSide, fit: "inside", withoutEnlargement: true })
        .grayscale()
        .normalise()
        .png({ compressionLevel: 1 })
        .toBuffer();
      const worker = await acquire();
      const started = performance.now();
      try {
        const first = (await worker.recognize(prepared)).data;
        let best = { text: first.text, confidence: first.confidence, deskewed: false };
        if (first.confidence < retryBelow) {
          const second = (await worker.recognize(prepared, { rotateAuto: true })).data;
          if (second.confidence > first.confidence)
            best = { text: second.text, confidence: second.confidence, deskewed: true };
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
