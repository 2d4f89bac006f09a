import { Worker } from "node:worker_threads";
import { pdfReadSchema } from "./pdfReadSchema.ts";
import type { PdfRead } from "./readPdf.ts";

const WORKER = new URL("./readPdfWorker.ts", import.meta.url);

/** Bounds on one PDF: a deadline, and the worker thread's JavaScript heap. */
export type PdfLimits = { timeoutMs: number; maxHeapMb: number };
export const DEFAULT_PDF_LIMITS: PdfLimits = { timeoutMs: 20_000, maxHeapMb: 256 };

/**
 * readPdf in a worker thread of its own, with a heap limit and a deadline: pdf.js parsing and image
 * decoding no longer block the service's event loop (webhooks, turns, sends), and a file that
 * would exhaust memory or never finish ends that worker, not the process. Anything but a result
 * within the deadline is a corrupt file to the caller.
 */
export function readPdfIsolated(
  bytes: Buffer,
  maxPages: number,
  limits = DEFAULT_PDF_LIMITS,
): Promise<PdfRead> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER, {
      // Cloned into the worker once (a Buffer arrives there as a Uint8Array).
      workerData: { bytes, maxPages },
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb, maxYoungGenerationSizeMb: 32 },
    });
    let settled = false;
    const settle = (result: PdfRead) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    };
    const corrupt: PdfRead = { ok: false, problem: "corrupt" };
    const timer = setTimeout(() => settle(corrupt), limits.timeoutMs);
    worker.once("message", (message: unknown) => {
      const parsed = pdfReadSchema.safeParse(message);
      settle(parsed.success ? parsed.data : corrupt);
    });
    worker.once("error", () => settle(corrupt));
    worker.once("exit", () => settle(corrupt));
  });
}
