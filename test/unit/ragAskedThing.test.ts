import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { askedThing } from "../../src/tools/rag/askedThing.ts";
import { buildQuery } from "../../src/tools/rag/buildQuery.ts";
import { buildSearchIndex } from "../../src/tools/rag/buildSearchIndex.ts";
import type { Evidence } from "../../src/tools/rag/createKnowledgeBase.ts";
import { decideDontKnow } from "../../src/tools/rag/decideDontKnow.ts";
import { foldText, wordsOf } from "../../src/tools/rag/foldText.ts";
import { namesThing } from "../../src/tools/rag/namesThing.ts";

const words = (q: string) => askedThing(q)?.words;

describe("askedThing: what a question asks about", () => {
  test("'qual o X de Y?' names X and what it belongs to", () => {
    assert.deepEqual(words("qual o endereço do escritório de vcs?"), ["endereco", "escritorio"]);
    assert.deepEqual(words("qual é o prazo de entrega?"), ["entrega"]);
    assert.deepEqual(words("quem é o dono da loja?"), ["dono", "loja"]);
  });
  test("an attribute ('valor', 'tamanho máximo', 'melhor') is not the thing: the word after it is", () => {
    assert.deepEqual(words("qual o tamanho maximo do arquivo?"), ["arquivo"]);
    assert.deepEqual(words("qual o valor minimo da conta?"), ["conta"]);
    assert.deepEqual(words("qual o melhor plano pra mim?"), ["plano"]);
    assert.deepEqual(words("qual o desconto de quem é da cemig?"), ["desconto"]);
  });
  test("the direct object of 'vocês <verbo>?', never a place after a preposition", () => {
    assert.deepEqual(words("vcs vendem bateria pra guardar energia?"), ["bateria"]);
    assert.deepEqual(words("vcs fazem energia eolica?"), ["energia", "eolica"]);
    assert.equal(words("vcs atendem em portugal?"), undefined);
    assert.equal(words("vcs atendem ribeirao preto?"), undefined);
    assert.equal(words("vcs podem religar?"), undefined);
  });
  test("'onde fica X?' and the counted thing of 'quantos X?', but not a unit of money or time", () => {
    assert.deepEqual(words("onde fica a usina?"), ["usina"]);
    assert.deepEqual(words("quantos clientes a aurora tem?"), ["clientes"]);
    assert.equal(words("quantos meses demora?"), undefined);
    assert.equal(words("quantos reais eu economizo?"), undefined);
  });
  test("'quem são os X?' asks about X, like 'quem é o X?'", () => {
    assert.deepEqual(words("quem sao os socios da empresa?"), ["socios", "empresa"]);
    assert.deepEqual(words("quem foi o fundador?"), ["fundador"]);
  });
  test("plural shorthand for 'quantos' is read as the word", () => {
    assert.deepEqual(words("qtos funcionarios vcs tem?"), ["funcionarios"]);
    assert.equal(askedThing("qts lojas tem?")?.count, true);
  });
  test("no frame, no thing", () => {
    assert.equal(words("se eu mudar de casa perco a assinatura?"), undefined);
    assert.equal(words(""), undefined);
  });
});

describe("'não sei' when the asked thing is not named in one section of the best page", () => {
  const evidence: Evidence = { best: 8, margin: 1.5, coverage: 0.6, unknown: [], words: 2, strength: 1 };
  test("a thing no section names is out of scope; one it names may be answered", () => {
    const q = "qual o endereço do escritório?";
    const asked = { words: ["endereco", "escritorio"] };
    assert.equal(
      decideDontKnow(q, { ...evidence, asked: { ...asked, inSection: false } }, "x"),
      "out_of_scope",
    );
    assert.equal(decideDontKnow(q, { ...evidence, asked: { ...asked, inSection: true } }, "x"), undefined);
  });
  test("'email' meets the pages' 'e-mail'", () => {
    assert.deepEqual(wordsOf("qual o email?"), ["qual", "o", "mail"]);
    assert.deepEqual(wordsOf("e-mail"), ["e", "mail"]);
  });
});

describe("namesThing: a section names the asked thing", () => {
  // A tiny invented page; stems are the folded words cut to 6 letters, prefixes 5.
  const chunks = [
    {
      id: "1",
      pageId: "fabrica",
      title: "Nossa fábrica",
      heading: "Produção",
      body: "A energia gerada na fábrica abastece a linha de montagem.",
    },
  ];
  const vocabulary = chunks.flatMap(
    (c) => `${c.title} ${c.heading} ${c.body}`.toLowerCase().match(/\p{L}+/gu) ?? [],
  );
  const index = buildSearchIndex(chunks, new Map(vocabulary.map((w) => [w, foldText(w).slice(0, 6)])), []);
  const named = (q: string) => {
    const thing = askedThing(q);
    assert.ok(thing, q);
    return namesThing(index, "fabrica", buildQuery(q, index), thing.words);
  };
  test("a word the page uses names the thing", () => {
    assert.equal(named("vcs vendem energia?"), true);
  });
  test("a word the page never uses is not named by a page word sharing its first letters", () => {
    // "gerador" and "gerada" share "gerad"; the page says nothing about generators.
    assert.equal(named("vcs alugam gerador?"), false);
  });
});
