import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parse } from "yaml";
import { agentDefinitionSchema } from "../../src/agents/runtime/agentDefinition.ts";
import { createOcrPool } from "../../src/tools/ocr/createOcrPool.ts";
import { extractBillFields } from "../../src/tools/ocr/extractBillFields.ts";

// Offline OCR (tesseract.js with the Portuguese model from @tesseract.js-data/por) of the shared
// synthetic bills, and field extraction with the lead agent's distributor list. Groundwork for
// issue #7: not yet wired into the conversation.
const def = agentDefinitionSchema.parse(
  parse(readFileSync(new URL("../../agents/lead_qualification.yaml", import.meta.url), "utf8")),
);
const bills = new URL("../../../shared/fixtures/bills/", import.meta.url);

test("clean bills and a phone photo: distributor, amount, consumption, due date read offline", async () => {
  const pool = createOcrPool(1);
  try {
    const read = async (file: string) =>
      extractBillFields((await pool.read(readFileSync(new URL(file, bills)))).text, def.data.distributors);
    const clean = await read("bill_01_clean.png");
    assert.equal(clean.isBill, true);
    assert.deepEqual(Object.fromEntries(Object.entries(clean.fields).map(([k, v]) => [k, v?.value])), {
      cep: "75070-077",
      state: "GO",
      city: "Anápolis",
      distributor: "Equatorial Goiás",
      amount_due_brl: 441,
      due_date: "2026-09-18",
      reference_month: "2026-08",
      installation_number: "95423899",
      consumption_kwh: 468,
    });
    const other = await read("bill_06_clean.png");
    assert.equal(other.fields.distributor?.value, "Copel");
    assert.equal(other.fields.amount_due_brl?.value, 2063.41);
    assert.equal(other.fields.consumption_kwh?.value, 2268);
    const photo = await read("bill_03_photo.jpg");
    assert.equal(photo.fields.amount_due_brl?.value, 1430.39);
    assert.equal(photo.fields.consumption_kwh?.value, 1638);
    assert.equal(photo.fields.due_date?.value, "2026-12-05");
  } finally {
    await pool.close();
  }
});

test("text that is not a bill is recognised as such", () => {
  assert.equal(
    extractBillFields("Feliz aniversário! Bolo de chocolate às 18h.", def.data.distributors).isBill,
    false,
  );
});
