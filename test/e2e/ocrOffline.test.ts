import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { z } from "zod";

// Proof for issue #7 that OCR is offline: the Portuguese model comes from the npm package, nothing is
// downloaded. A child process runs with a preload that fails and records every outbound connection
// (sockets, fetch, DNS), in the main thread and in worker threads (where tesseract.js runs).
const helpers = new URL("../helpers/", import.meta.url);
const bill = fileURLToPath(new URL("../../../shared/fixtures/bills/bill_01_clean.png", import.meta.url));
const attempt = z.object({ kind: z.string(), target: z.string(), threadId: z.number() });
const output = z.object({
  probe: z.string(),
  result: z.object({
    isBill: z.boolean(),
    problems: z.array(z.string()),
    fields: z.record(z.string(), z.object({ value: z.unknown(), confidence: z.string() })),
  }),
});

test("a bill is read with every outbound connection blocked, in the main thread and in workers", () => {
  const dir = mkdtempSync(join(tmpdir(), "ocr-offline-"));
  const log = join(dir, "attempts.jsonl");
  writeFileSync(log, "");
  try {
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        fileURLToPath(new URL("blockNetwork.ts", helpers)),
        fileURLToPath(new URL("blockNetworkChild.ts", helpers)),
        bill,
      ],
      { env: { ...process.env, BLOCK_NETWORK_LOG: log }, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(child.status, 0, child.stderr);
    const lastLine = child.stdout.trim().split("\n").at(-1) ?? "";
    const { probe, result } = output.parse(JSON.parse(lastLine));
    const attempts = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => attempt.parse(JSON.parse(l)));

    // The blocker was loaded in the main thread and in worker threads: the probe's and tesseract's.
    const threads = new Set(attempts.filter((a) => a.kind === "loaded").map((a) => a.threadId));
    assert.ok(threads.has(0) && threads.size >= 3, JSON.stringify(attempts));
    // It is active inside a worker thread: the probe's connection failed there and was recorded.
    assert.match(probe, /outbound network blocked/);
    const probes = attempts.filter((a) => a.target.includes("probe.invalid"));
    assert.ok(probes.length > 0 && probes.every((a) => a.threadId !== 0), JSON.stringify(attempts));
    // Reading the bill made no attempt at all.
    assert.deepEqual(
      attempts.filter((a) => a.kind !== "loaded" && !a.target.includes("probe.invalid")),
      [],
    );
    assert.equal(result.isBill, true);
    assert.deepEqual(result.problems, []);
    assert.equal(result.fields.distributor?.value, "Equatorial Goiás");
    assert.equal(result.fields.amount_due_brl?.value, 441);
    assert.equal(result.fields.installation_number?.value, "95423899");
    assert.equal(result.fields.due_date?.value, "2026-09-18");
    assert.equal(result.fields.consumption_kwh?.value, 468);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
