import { createRequire } from "node:module";
import sharp from "sharp";
import { createWorker, type Worker } from "tesseract.js";
import { z } from "zod";

const require = createRequire(import.meta.url);
// The Portuguese model ships in an npm package: nothing is downloaded at run time.
const por = z.object({ langPath: z.string() }).parse(require("@tesseract.js-data/por"));

export type OcrResult = { text: string; confidence: number; ms: number };
export type OcrPool = { read: (image: Buffer) => Promise<OcrResult>; close: () => Promise<void> };

/**
 * A warm pool of tesseract.js workers (each its own worker thread, so the event loop stays free),
 * created once — lazily, on the first image — and reused. Images are prepared with sharp: EXIF
 * rotation, grayscale, normalised contrast, long side bounded.
 */
export function createOcrPool(size: number): OcrPool {
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
        .resize({ width: 2000, height: 2000, fit: "inside", withoutEnlargement: true })
        .grayscale()
        .normalise()
        .png()
        .toBuffer();
      const worker = await acquire();
      const started = performance.now();
      try {
        const { data } = await worker.recognize(prepared);
        return { text: data.text, confidence: data.confidence, ms: Math.round(performance.now() - started) };
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
