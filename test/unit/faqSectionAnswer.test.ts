import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { answerQuestion } from "../../src/tools/rag/answerQuestion.ts";
import { buildQuery, inflectedStems } from "../../src/tools/rag/buildQuery.ts";
import { buildSearchIndex } from "../../src/tools/rag/buildSearchIndex.ts";
import type { KnowledgeBase, Passage, Retrieval } from "../../src/tools/rag/createKnowledgeBase.ts";
import { SECTION_CHARS, selectSentences } from "../../src/tools/rag/selectSentences.ts";

// An invented pet-shop base; stems are the folded words cut to 5 letters (PostgreSQL gives real
// snowball stems in production).
const filler = "Os banhos são feitos por profissionais treinados e com produtos hipoalergênicos. ";
const chunks = [
  {
    id: "1",
    pageId: "banho",
    title: "Banho e tosa",
    heading: "Banho e tosa",
    body: "Atendemos cães e gatos de todos os tamanhos.",
  },
  {
    id: "2",
    pageId: "banho",
    title: "Banho e tosa",
    heading: "Agendamento",
    body: "O agendamento é feito pelo aplicativo, com até 7 dias de antecedência. Chegue 10 minutos antes do horário marcado, com a carteira de vacinação em dia. Faltas sem aviso entram numa lista de espera.",
  },
  {
    id: "3",
    pageId: "banho",
    title: "Banho e tosa",
    heading: "Preços",
    body: "Os preços por porte:\n\n| Porte | Banho | Tosa |\n|---|---|---|\n| Pequeno | R$ 40 | R$ 60 |\n| Grande | R$ 70 | R$ 90 |\n\nPagamento no balcão.",
  },
  {
    id: "4",
    pageId: "banho",
    title: "Banho e tosa",
    heading: "Produtos",
    body: filler.repeat(14).trim(),
  },
  {
    id: "5",
    pageId: "banho",
    title: "Banho e tosa",
    heading: "Depois do banho",
    body: "Entregamos o pet perfumado e com laço.",
  },
];
const words = chunks.flatMap(
  (c) => `${c.title} ${c.heading} ${c.body}`.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [],
);
const fold = (w: string) => w.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
const stems = new Map(words.map((w) => [w, fold(w).slice(0, 5)]));
const index = buildSearchIndex(chunks, stems);
const answer = (question: string) => selectSentences(index, "banho", buildQuery(question, index)).section;

describe("section answers (degraded mode)", () => {
  test("the whole section of the matching sentence, its later sentences included", () => {
    const text = answer("como faço o agendamento?");
    assert.match(text, /^\*Agendamento\*\n/);
    // The sentence two after the match: a sentence pick stops before it.
    assert.match(text, /lista de espera/);
    assert.doesNotMatch(text, /cães e gatos|R\$ 40/);
  });
  test("a table keeps only the asked rows, the rest of its section whole", () => {
    const text = answer("quanto custa a tosa de cachorro grande?");
    assert.match(text, /Grande: .*R\$ 90/);
    assert.doesNotMatch(text, /Pequeno/);
    assert.match(text, /Pagamento no balcão/);
  });
  test("a section longer than a WhatsApp message is cut around the matching sentence, whole sentences only", () => {
    const text = answer("os produtos são hipoalergênicos?");
    assert.ok(text.length <= SECTION_CHARS, `${text.length}`);
    assert.match(text, /hipoalergênicos\.$/);
  });
});

describe("a second section", () => {
  test("a section that matches nearly as well comes too, under its own heading, in page order", () => {
    const text = answer("qual o preço do banho e quando entregam o pet?");
    assert.match(text, /\*Preços\*[\s\S]*\n\n\*Depois do banho\*\nEntregamos o pet/);
  });
});

describe("two pages tied for the question", () => {
  const passage = (pageId: string, excerpt: string): Passage => ({
    pageId,
    title: pageId,
    heading: pageId,
    text: excerpt,
    score: 0.6,
    excerpt,
    section: `${excerpt} E mais.`,
  });
  const kbWith = (margin: number): KnowledgeBase => {
    const passages = [passage("a", "Resposta A."), passage("b", "Resposta B.")];
    const evidence = { best: 8, margin, coverage: 1, unknown: [], words: 2, strength: 1 };
    const retrieval: Retrieval = {
      passages,
      ms: 1,
      mode: "keyword",
      questions: [{ text: "pergunta sobre isso?", passages, evidence }],
    };
    return { search: async () => retrieval, pages: () => 2, refresh: async () => {} };
  };
  test("a near tie quotes the runner-up's answering sentences after the first page's section", async () => {
    const a = await answerQuestion({ kb: kbWith(1.01) }, "pergunta sobre isso?");
    assert.equal(a.kind, "answer");
    if (a.kind !== "answer") return;
    assert.equal(a.text, "Resposta A. E mais.\n\nResposta B.");
    assert.deepEqual(
      a.sources.map((x) => x.id),
      ["a", "b"],
    );
  });
  test("a clear winner is quoted alone", async () => {
    const a = await answerQuestion({ kb: kbWith(1.5) }, "pergunta sobre isso?");
    assert.equal(a.kind === "answer" && a.text, "Resposta A. E mais.");
  });
  test("a page put first by a decision (it names the asked thing) is no coin toss: quoted alone", async () => {
    const a = await answerQuestion({ kb: kbWith(0.9) }, "pergunta sobre isso?");
    assert.equal(a.kind === "answer" && a.text, "Resposta A. E mais.");
  });
});

describe("inflections the pages never use", () => {
  test("a word less its ending meets the page's stem", () => {
    // The pages say "agendamento"; "agendei" shares its stem once the ending goes.
    assert.deepEqual(inflectedStems("agendei", index), ["agend"]);
    const group = buildQuery("agendei ontem", index).find((g) => g.word === "agendei");
    assert.equal(group?.known, true);
  });
  test("a foreign word stays unknown; short remainders are not stems", () => {
    assert.equal(inflectedStems("bitcoin", index), undefined);
    assert.equal(inflectedStems("ao", index), undefined);
    assert.equal(buildQuery("aceita bitcoin?", index).find((g) => g.word === "bitcoin")?.known, false);
  });
});
