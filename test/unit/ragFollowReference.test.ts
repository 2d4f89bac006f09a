import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildQuery } from "../../src/tools/rag/buildQuery.ts";
import { buildSearchIndex } from "../../src/tools/rag/buildSearchIndex.ts";
import { foldText } from "../../src/tools/rag/foldText.ts";
import { followPointer, referencedPage } from "../../src/tools/rag/followReference.ts";
import type { PageHit } from "../../src/tools/rag/rankPages.ts";

// An invented base: a page about wholesale points to the page about returns.
const chunks = [
  {
    id: "1",
    pageId: "atacado",
    title: "Vendas no atacado",
    heading: "Devoluções no atacado",
    body: "As devoluções de pedidos de atacado seguem a página sobre trocas e devoluções.",
  },
  {
    id: "2",
    pageId: "atacado",
    title: "Vendas no atacado",
    heading: "Pedido mínimo",
    body: "O pedido mínimo é de 50 peças. Para frete, veja a página de entregas.",
  },
  {
    id: "3",
    pageId: "trocas",
    title: "Trocas e devoluções",
    heading: "Prazo",
    body: "Devolva em até 30 dias.",
  },
  { id: "4", pageId: "entregas", title: "Entregas", heading: "Prazo", body: "Entregamos em 3 dias." },
];
const words = chunks.flatMap((c) => `${c.title} ${c.heading} ${c.body}`.match(/[\p{L}\p{N}]+/gu) ?? []);
const index = buildSearchIndex(chunks, new Map(words.map((w) => [w, foldText(w).replace(/s$/, "")])));
const hit = (pageId: string, raw: number): PageHit => ({ pageId, raw, chunk: 0, coverage: 1 });

describe("pointers between pages", () => {
  test("'veja a página sobre X' names the page whose title holds X", () => {
    assert.equal(referencedPage(index, "Siga a página sobre trocas e devoluções.", "atacado"), "trocas");
    assert.equal(referencedPage(index, "Veja a página de entregas.", "atacado"), "entregas");
    assert.equal(referencedPage(index, "Veja a página de garantias.", "atacado"), undefined);
  });
  test("an answer that is only a pointer gives way to the page pointed to", () => {
    const groups = buildQuery("como funciona a devolução no atacado?", index);
    const hits = followPointer(index, [hit("atacado", 9), hit("trocas", 4)], groups);
    assert.deepEqual(
      hits.map((h) => h.pageId),
      ["trocas", "atacado"],
    );
  });
  test("a pointer beside an answer is an aside: the page stays first", () => {
    const groups = buildQuery("qual o pedido mínimo no atacado?", index);
    const hits = followPointer(index, [hit("atacado", 9), hit("entregas", 4)], groups);
    assert.deepEqual(
      hits.map((h) => h.pageId),
      ["atacado", "entregas"],
    );
  });
});
