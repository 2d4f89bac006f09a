import { parentPort, workerData } from "node:worker_threads";
import { z } from "zod";
import { readPdf } from "./readPdf.ts";

// The body of readPdfIsolated's worker thread: reads one PDF and posts the result back.
const input = z
  .object({ bytes: z.instanceof(Uint8Array), maxPages: z.number().int().positive() })
  .parse(workerData);
const result = await readPdf(
  Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength),
  input.maxPages,
);
parentPort?.postMessage(result);
