import assert from "node:assert/strict";
import { test } from "node:test";
import { mergeVisionFields, type ReadFields } from "../../src/tools/vision/mergeVisionFields.ts";

const ocr: ReadFields = {
  distributor: { value: "Neoenergia Pernambuco", confidence: "high" },
  amount_due_brl: { value: 452.3, confidence: "medium" },
  consumption_kwh: { value: 380, confidence: "low" },
  installation_number: { value: "7012345678", confidence: "medium" },
  due_date: { value: "2025-03-10", confidence: "low" },
  history_kwh: { value: [300, 310, 320], confidence: "medium" },
};

test("vision never overrides a high OCR field, agreeing or not", () => {
  const merged = mergeVisionFields(ocr, { distributor: "Celpe" });
  assert.deepEqual(merged.distributor, { value: "Neoenergia Pernambuco", confidence: "high" });
});

test("agreement raises medium and low fields to high, keeping OCR's value", () => {
  const merged = mergeVisionFields(ocr, {
    amount_due_brl: 452.3,
    consumption_kwh: 380,
    installation_number: "7012345678",
    due_date: "2025-03-10",
  });
  assert.deepEqual(merged, {
    ...ocr,
    amount_due_brl: { value: 452.3, confidence: "high" },
    consumption_kwh: { value: 380, confidence: "high" },
    installation_number: { value: "7012345678", confidence: "high" },
    due_date: { value: "2025-03-10", confidence: "high" },
  });
});

test("a disagreeing medium field keeps OCR's value at low; a disagreeing low field takes vision's at medium", () => {
  const merged = mergeVisionFields(ocr, { amount_due_brl: 462.3, consumption_kwh: 330 });
  assert.deepEqual(merged.amount_due_brl, { value: 452.3, confidence: "low" });
  assert.deepEqual(merged.consumption_kwh, { value: 330, confidence: "medium" });
});

test("vision-only values come in at medium; fields vision did not answer, and non-vision fields, pass as is", () => {
  const merged = mergeVisionFields(ocr, { cep: "50030-230", state: "PE" });
  assert.deepEqual(merged.cep, { value: "50030-230", confidence: "medium" });
  assert.deepEqual(merged.state, { value: "PE", confidence: "medium" });
  assert.deepEqual(merged.history_kwh, ocr.history_kwh);
  assert.deepEqual(merged.due_date, ocr.due_date);
  assert.deepEqual(mergeVisionFields(ocr, {}), ocr);
});

test("agreement is judged per field: cents, digits, text without case or accents", () => {
  const read: ReadFields = {
    amount_due_brl: { value: "1.234,56", confidence: "medium" },
    installation_number: { value: "0012345678", confidence: "low" },
    cep: { value: "50030230", confidence: "medium" },
    city: { value: "São José do Egito", confidence: "medium" },
    state: { value: "pe", confidence: "low" },
  };
  const merged = mergeVisionFields(read, {
    amount_due_brl: 1234.56,
    installation_number: "12345678",
    cep: "50030-230",
    city: "SAO JOSE DO EGITO",
    state: "PE",
  });
  for (const f of Object.keys(read)) assert.equal(merged[f]?.confidence, "high", f);
  assert.equal(merged.city?.value, "São José do Egito", "OCR's spelling is kept");
  // One cent apart, or one digit apart, is a disagreement.
  const off = mergeVisionFields(read, { amount_due_brl: 1234.57, installation_number: "12345679" });
  assert.deepEqual(off.amount_due_brl, { value: "1.234,56", confidence: "low" });
  assert.deepEqual(off.installation_number, { value: "12345679", confidence: "medium" });
});

test("the input map is not modified; unknown keys in the vision answer are ignored", () => {
  const before = structuredClone(ocr);
  const stray: Record<string, string> = { customer_name: "Fulano" };
  mergeVisionFields(ocr, { amount_due_brl: 1, ...stray });
  assert.deepEqual(ocr, before);
  assert.equal("customer_name" in mergeVisionFields(ocr, stray), false);
});
