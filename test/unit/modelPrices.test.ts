import assert from "node:assert/strict";
import { test } from "node:test";
import { modelPrices } from "../../src/tools/llm/modelPrices.ts";

test("a known model has its list price, so the daily caps cap without configuration", () => {
  assert.deepEqual(modelPrices("gpt-4o-mini", {}), { input: 0.15, output: 0.6, known: true });
  assert.deepEqual(modelPrices("openai/gpt-4o-2024-08-06", {}), { input: 2.5, output: 10, known: true });
  assert.equal(modelPrices("llama-3.3-70b-versatile", {}).known, true);
});

test("an unknown model is counted like a large one; configured prices win", () => {
  assert.deepEqual(modelPrices("my-finetune", {}), { input: 3, output: 15, known: false });
  assert.deepEqual(modelPrices("my-finetune", { input: 0, output: 0 }), { input: 0, output: 0, known: true });
  assert.equal(modelPrices("gpt-4o-mini", { input: 1 }).input, 1);
});
