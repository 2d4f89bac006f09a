import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildSearchIndex } from "../../src/tools/rag/buildSearchIndex.ts";
import { foldText } from "../../src/tools/rag/foldText.ts";
import { placeTerms } from "../../src/tools/rag/placeTerms.ts";

// An invented base: a table ties distributors to states by code, a sentence by name in parentheses.
const chunks = [
  {
    id: "1",
    pageId: "areas",
    title: "Onde atendemos",
    heading: "Onde atendemos",
    body: "| Distribuidora | Estado |\n|---|---|\n| Luzbela | BA |\n| Faisca Norte | PE |",
  },
  {
    id: "2",
    pageId: "areas",
    title: "Onde atendemos",
    heading: "Em breve",
    body: "Logo chegaremos à Voltagem Sul (Paraná).",
  },
];
const words = chunks.flatMap((c) => `${c.title} ${c.heading} ${c.body}`.match(/[\p{L}\p{N}]+/gu) ?? []);
const index = buildSearchIndex(chunks, new Map(words.map((w) => [w, foldText(w)])));
const keys = (text: string) => placeTerms(text, index, 0.4).groups.flatMap((g) => g.terms.map((t) => t.key));

describe("the place a question names", () => {
  test("a town adds its state's code and what the pages tie to that state", () => {
    const terms = keys("moro em Feira de Santana, qual o desconto?");
    assert.ok(terms.includes("s:ba"), terms.join(" "));
    assert.ok(terms.includes("s:luzbela"), terms.join(" "));
    assert.ok(!terms.includes("s:faisca"), terms.join(" "));
  });
  test("a state named in parentheses in a sentence ties the name before it", () => {
    assert.ok(keys("sou de Londrina, vcs atendem?").includes("s:voltagem"));
  });
  test("the town's own words are set aside, and no place means no terms", () => {
    assert.deepEqual([...placeTerms("sou de Feira de Santana", index, 0.4).nameWords], ["feira", "santana"]);
    assert.deepEqual(placeTerms("qual o prazo da conta de luz?", index, 0.4).groups, []);
  });
});
