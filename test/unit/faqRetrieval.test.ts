import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bm25Baseline } from "../../src/tools/rag/bm25Baseline.ts";
import { buildQuery } from "../../src/tools/rag/buildQuery.ts";
import { buildSearchIndex } from "../../src/tools/rag/buildSearchIndex.ts";
import { isGrounded, unsupportedSentences } from "../../src/tools/rag/checkGrounding.ts";
import { asksForFigure, decideDontKnow, givesAmount } from "../../src/tools/rag/decideDontKnow.ts";
import { focusOf } from "../../src/tools/rag/focusOf.ts";
import { needsLiveData } from "../../src/tools/rag/needsLiveData.ts";
import { questionFirst } from "../../src/tools/rag/questionFirst.ts";
import { rankPages } from "../../src/tools/rag/rankPages.ts";
import { selectSentences } from "../../src/tools/rag/selectSentences.ts";
import { splitQuestions } from "../../src/tools/rag/splitQuestions.ts";

// A tiny invented base; stems here are the folded words cut to 6 letters (PostgreSQL gives real
// snowball stems in production), which is enough to test ranking and selection.
const chunks = [
  {
    id: "1",
    pageId: "entrega",
    title: "Prazos de entrega",
    heading: "Prazos de entrega",
    body: "A entrega leva até 4 dias úteis nas capitais.",
  },
  {
    id: "2",
    pageId: "entrega",
    title: "Prazos de entrega",
    heading: "Frete",
    body: "O frete é grátis acima de R$ 200. Abaixo disso, custa R$ 15.",
  },
  {
    id: "3",
    pageId: "trocas",
    title: "Trocas e devoluções",
    heading: "Trocas e devoluções",
    body: "Você pode trocar o produto em até 30 dias. A troca é feita pelos Correios.",
  },
  {
    id: "4",
    pageId: "precos",
    title: "Tabela de preços",
    heading: "Tabela de preços",
    body: "Os preços por região:\n\n| Região | Preço varejo | Preço atacado |\n|---|---|---|\n| Sul | R$ 10 | R$ 8 |\n| Norte | R$ 12 | R$ 9 |",
  },
  {
    id: "5",
    pageId: "pagamento",
    title: "Pagamento",
    heading: "Formas de pagamento",
    body: "Aceitamos estas formas:\n\n- boleto;\n- Pix;\n- cartão de débito.\n\nNão aceitamos cheque.",
  },
];
const words = chunks.flatMap(
  (c) => `${c.title} ${c.heading} ${c.body}`.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [],
);
const stems = new Map(
  words.map((w) => [
    w,
    w
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .slice(0, 6),
  ]),
);
const index = buildSearchIndex(chunks, stems, [["trocar", "devolver"].map((w) => w.slice(0, 6))]);
const top = (q: string) => rankPages(index, buildQuery(q, index))[0]?.pageId;

describe("retrieval", () => {
  test("title and heading words rank their page first; typos are corrected against the pages' words", () => {
    assert.equal(top("qto custa o frete?"), "entrega");
    assert.equal(top("como funciona a devoluçao"), "trocas");
    assert.equal(top("qual o prazu de entrgea"), "entrega");
  });
  test("the question picks the page: one matching none of its words comes after those matching some", () => {
    const hits = [
      { pageId: "context-only", raw: 9, chunk: 0, coverage: 0 },
      { pageId: "asked", raw: 4, chunk: 1, coverage: 0.5 },
      { pageId: "other", raw: 3, chunk: 2, coverage: 1 },
    ];
    assert.deepEqual(
      questionFirst(hits).map((h) => h.pageId),
      ["asked", "other", "context-only"],
    );
  });
  test("a word the pages never use is an unknown group; fillers and stop words are not searched", () => {
    const groups = buildQuery("oi, queria saber do helicoptero", index);
    assert.deepEqual(
      groups.map((g) => [g.word, g.known]),
      [["helicoptero", false]],
    );
  });
  test("a word only the synonym list has is searched through its group", () => {
    // "permuta" is in no page; the synonym list ties it to "trocar", which the pages use.
    const withList = buildSearchIndex(chunks, new Map([...stems, ["permuta", "permut"]]), [
      ["trocar", "permut"],
    ]);
    const group = buildQuery("aceitam permuta?", withList).find((g) => g.word === "permuta");
    assert.equal(group?.known, true);
    assert.ok(group?.terms.some((t) => t.key === "s:trocar"));
  });
  test("a figure the pages never use is the customer's own, not a word to search", () => {
    const groups = buildQuery("comprei 3 camisetas de 89 reais, tem frete?", index);
    assert.deepEqual(
      groups.map((g) => g.word).filter((w) => /\d/.test(w)),
      [],
    );
    assert.equal(givesAmount("a conta vem uns 130 reais"), true);
    assert.equal(givesAmount("paguei R$ 89,90"), true);
    assert.equal(givesAmount("faz 3 meses que assinei"), false);
  });
  test("a question matching only a section heading is answered with the section's opening", () => {
    // No sentence says "prazos"; the title and heading "Prazos de entrega" do.
    const answer = selectSentences(index, "entrega", buildQuery("e os prazos?", index));
    assert.match(answer.text, /4 dias úteis/);
  });
  test("the benchmark line ranks whole pages by plain BM25", () => {
    const rank = bm25Baseline([
      { id: "a", title: "Frete", body: "frete grátis acima de 200" },
      { id: "b", title: "Trocas", body: "trocar em 30 dias" },
    ]);
    assert.deepEqual(rank("quanto é o frete?", 1), ["a"]);
  });
});

describe("questions in a message", () => {
  test("greetings go, context is kept apart, two questions are two", () => {
    assert.deepEqual(
      splitQuestions("Bom dia, tudo bem? Comprei um tênis ontem. Posso trocar? E o frete é grátis?"),
      {
        questions: ["Posso trocar?", "E o frete é grátis?"],
        context: "Comprei um tênis ontem.",
      },
    );
    assert.deepEqual(splitQuestions("oi boa noite"), { questions: [], context: "" });
    assert.deepEqual(splitQuestions("prazo de entrega pra Manaus"), {
      questions: ["prazo de entrega pra Manaus"],
      context: "",
    });
  });
});

describe("answer sentences", () => {
  test("the matching sentence with its neighbour, the section heading shown, not the page's first paragraph", () => {
    const text = selectSentences(index, "entrega", buildQuery("o frete é de graça?", index)).text;
    assert.match(text, /^\*Frete\*\n/);
    assert.match(text, /grátis acima de R\$ 200/);
    assert.doesNotMatch(text, /4 dias/);
  });
  test("a table row with only the asked column", () => {
    const text = selectSentences(index, "precos", buildQuery("preço de atacado no norte", index)).text;
    assert.match(text, /Norte: Preço atacado R\$ 9/);
    assert.doesNotMatch(text, /R\$ 12|Sul/);
  });
  test("a short list is quoted whole with its lead-in", () => {
    const text = selectSentences(index, "pagamento", buildQuery("aceita pix?", index)).text;
    assert.match(text, /- boleto;\n- Pix;\n- cartão de débito\./);
  });
});

describe('"não sei" as a decision', () => {
  const evidence = { best: 10, margin: 2, coverage: 1, unknown: [], words: 3, strength: 1 };
  test("questions needing live or personal data", () => {
    for (const q of [
      "quanto ta o preço da tarifa hj?",
      "o reajuste do ano que vem vai ser de quanto?",
      "em agosto a bandeira vai ser verde?",
      "meu pedido de cadastro ja foi aprovado?",
      "vcs sao mais baratos que a Fulana Energia?",
      "meu numero de cliente é 12345, minha conta ta certa?",
      "qnto veio a minha conta de julho?",
      "minha assinatura ja ta ativa?",
      "perdi o codigo da minha unidade, qual é?",
      "qto eu ja paguei pra vcs esse ano?",
      "o sistema de vcs ta fora do ar agora?",
    ])
      assert.equal(needsLiveData(q), true, q);
    for (const q of [
      "qual o prazo de entrega?",
      "o desconto muda se a bandeira for vermelha?",
      "vou me mudar mes que vem",
      "minha conta é de 200 reais, da pra assinar?",
      "como fica a minha conta depois de assinar?",
      "quanto tempo demora pra ficar ativo?",
    ])
      assert.equal(needsLiveData(q), false, q);
  });
  test("too little of the question on the best page, or a figure asked and none found", () => {
    assert.equal(decideDontKnow("tem frete?", { ...evidence, coverage: 0.2 }, "texto"), "no_match");
    assert.equal(decideDontKnow("qual o CNPJ de vcs?", evidence, "Envie o cartão CNPJ."), "no_match");
    assert.equal(decideDontKnow("quanto custa o frete?", evidence, "custa R$ 15"), undefined);
    assert.equal(asksForFigure("qto tempo demora?"), true);
  });
  test("a best page that is weak and matches the question only in part is no answer", () => {
    // raw 3 → relevance 0.375: weak. Half the question's information matched: partial.
    const weakPartial = { ...evidence, best: 3, strength: 0.5 };
    assert.equal(decideDontKnow("em que ano vocês abriram?", weakPartial, "texto"), "no_match");
    // A short question matched in full scores low in absolute terms and is still answered.
    assert.equal(decideDontKnow("tem carência?", { ...weakPartial, strength: 1.1 }, "texto"), undefined);
    // A strong page is answered even when part of a long message is not on it.
    assert.equal(decideDontKnow("e o desconto?", { ...weakPartial, best: 9 }, "texto"), undefined);
  });
  test("the thing a yes/no question asks about must be on the best page", () => {
    assert.equal(focusOf("vcs tem aplicativo?"), "aplicativo");
    assert.equal(focusOf("da pra parcelar no boleto?"), "parcelar");
    assert.equal(focusOf("dá pra colocar a conta da empresa?"), "conta");
    // An earlier clause is context: the last one asks.
    assert.equal(focusOf("vi que vcs tem um esquema de boleto, vcs pagam minha conta?"), undefined);
    assert.equal(focusOf("moro em Recife, vcs tem aplicativo?"), "aplicativo");
    assert.equal(
      decideDontKnow(
        "vcs tem aplicativo?",
        { ...evidence, focus: { word: "aplicativo", onBestPage: false } },
        "x",
      ),
      "out_of_scope",
    );
  });
});

describe("LLM grounding by sentence", () => {
  const sources = ["O frete é grátis acima de R$ 200. A troca é feita pelos Correios em até 30 dias."];
  test("a paraphrase passes; an invented rule or number does not", () => {
    assert.equal(isGrounded("O frete é grátis nas compras acima de R$ 200.", sources), true);
    assert.deepEqual(
      unsupportedSentences("Também oferecemos seguro contra roubo para motocicletas importadas.", sources),
      ["Também oferecemos seguro contra roubo para motocicletas importadas."],
    );
    assert.equal(isGrounded("O frete é grátis acima de R$ 100.", sources), false);
  });
});
