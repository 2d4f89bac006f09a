// Run by test/e2e/ocrOffline.test.ts under the blockNetwork preload: probes that a worker thread is
// blocked too, then reads a bill with a fresh OCR pool (workers, model load, recognition) and prints
// the result as JSON.
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { parse } from "yaml";
import { agentDefinitionSchema } from "../../src/agents/runtime/agentDefinition.ts";
import { createOcrPool } from "../../src/tools/ocr/createOcrPool.ts";
import { createBillReader } from "../../src/tools/ocr/readBill.ts";

const probe = await new Promise<string>((resolve, reject) => {
  // A file worker, as tesseract.js starts its own.
  const w = new Worker(new URL("blockNetworkProbe.ts", import.meta.url));
  w.once("message", (m) => {
    resolve(String(m));
    void w.terminate();
  });
  w.once("error", reject);
});

const def = agentDefinitionSchema.parse(
  parse(readFileSync(new URL("../../agents/lead_qualification.yaml", import.meta.url), "utf8")),
);
const pool = createOcrPool(1);
try {
  const read = createBillReader({ pool, distributors: def.data.distributors, maxPdfPages: 2 });
  const file = process.argv[2] ?? "";
  const result = await read({ bytes: readFileSync(file), mimeType: "image/png" });
  process.stdout.write(`${JSON.stringify({ probe, result })}\n`);
} finally {
  await pool.close();
}
