import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { askedThing } from "../../src/tools/rag/askedThing.ts";
import { decideDontKnow } from "../../src/tools/rag/decideDontKnow.ts";
import { focusOf } from "../../src/tools/rag/focusOf.ts";
import { hasNumber, statesCount } from "../../src/tools/rag/statesCount.ts";

describe('"quantos X?" questions', () => {
  test("the counted thing is flagged as a count", () => {
    assert.deepEqual(askedThing("quantas lojas vcs tem?"), { words: ["lojas"], count: true });
    assert.equal(askedThing("qual o endereço da loja?")?.count, undefined);
  });
  test("a text gives a number of the thing in digits or words, a couple of words before it", () => {
    assert.equal(statesCount("Temos 12 lojas abertas.", "lojas"), true);
    assert.equal(statesCount("São três lojas físicas.", "loja"), true);
    assert.equal(statesCount("As 4 grandes lojas de rua.", "lojas"), true);
    assert.equal(statesCount("Abrimos uma loja nova.", "lojas"), false, "'uma' is an article");
    assert.equal(statesCount("Temos 12 anos de mercado e lojas no Sul.", "lojas"), false);
  });
  test("numbers in words count as figures", () => {
    assert.equal(hasNumber("você recebe duas contas"), true);
    assert.equal(hasNumber("uma conta só"), false);
    assert.equal(hasNumber("custa R$ 15"), true);
  });
  test("a best page without a number of the asked thing is 'não sei'", () => {
    const evidence = { best: 10, margin: 2, coverage: 1, unknown: [], words: 2, strength: 1 };
    assert.equal(
      decideDontKnow("quantas lojas tem?", { ...evidence, counted: false }, "Temos lojas."),
      "out_of_scope",
    );
    assert.equal(
      decideDontKnow("quantas lojas tem?", { ...evidence, counted: true }, "Temos 3 lojas."),
      undefined,
    );
  });
  test("a wh-question is no yes/no feature question", () => {
    assert.equal(focusOf("quantas lojas vcs tem abertas?"), undefined);
    assert.equal(focusOf("vcs tem loja aberta domingo?"), "loja");
  });
});
