import { z } from "zod";
import type { ChatMessage, LlmClient, LlmTool, Usage } from "../llm/createLlmClient.ts";
import { isGrounded } from "./checkGrounding.ts";
import type { KnowledgeBase, Passage, QuestionResult } from "./createKnowledgeBase.ts";
import { type DontKnowReason, decideDontKnow } from "./decideDontKnow.ts";
import { detectInjection } from "./detectInjection.ts";
import { needsClarification } from "./needsClarification.ts";
import { trimPassage } from "./trimPassage.ts";

export type FaqAnswer =
  | { kind: "answer"; text: string; sources: { id: string; title: string }[]; mode: "llm" | "passage" }
  | { kind: "dont_know"; reason: FaqDontKnowReason }
  | { kind: "refuse"; reason: "injection" }
  | { kind: "clarify" };

export type FaqDontKnowReason = DontKnowReason | "ungrounded" | "llm_failed";

/** The part of the project's LLM client the FAQ uses (tests may pass a stub). */
export type FaqLlm = Pick<LlmClient, "callWithTools">;

export type AnswerDeps = {
  kb: KnowledgeBase;
  llm?: FaqLlm;
  /** The LLM instruction (body of prompts/faq_answer.md). Without it, passage answers only. */
  instruction?: string;
  /** Relevance (0..1, see createKnowledgeBase) below which the answer is "não sei". */
  minScore?: number;
  /** Told the tokens of every LLM call (the caller records them against the daily cost cap). */
  onUsage?: (usage: Usage) => void;
};

/** Tuned on the public sample and the project's own questions: see `npm run eval:faq`. */
export const DEFAULT_MIN_SCORE = 0.3;
/** A message with more questions than this gets the first ones answered. */
const MAX_QUESTIONS = 2;
const PARTIAL_NOTE =
  "Sobre a outra pergunta, não sei responder com certeza: uma pessoa da equipe pode te ajudar.";
/** How far below a question's best page (relevance 0..1) another page may be and still be shown to the LLM. */
const CLOSE_SCORE = 0.05;
/** Best page over the second (raw scores) below which the two are a tie. */
const TIED = 1.03;
/** Passages the LLM sees: the best one per page, a few pages. */
const LLM_PASSAGES = 4;

const answerTool: LlmTool = {
  name: "answer_faq",
  description: "Responde a pergunta do cliente usando somente os trechos fornecidos.",
  schema: z.object({
    found: z.boolean().describe("true se os trechos respondem a pergunta; false caso contrário"),
    answer: z.string().max(1500).describe("a resposta ao cliente, curta, em português do Brasil"),
    source_ids: z.array(z.string()).describe("ids dos trechos usados"),
  }),
};
const answerArgs = z.object({ found: z.boolean(), answer: z.string(), source_ids: z.array(z.string()) });

/**
 * Answers a customer's question from the knowledge base, or says why not. Order: nothing to ask →
 * clarify; manipulation → refuse (before any search, nothing is repeated back); retrieval below
 * `minScore` → dont_know. With an LLM and its instruction, the model answers from the retrieved
 * passages only (the question travels as data inside a JSON message, never as instructions) and
 * a grounding check drops any answer stating a number the passages do not contain, falling back
 * to the passage answer. Without an LLM, or when it fails, the best passage trimmed to WhatsApp size.
 */
export async function answerQuestion(deps: AnswerDeps, question: string): Promise<FaqAnswer> {
  // Manipulation first: one written in English or hidden in a very long message is still refused.
  if (detectInjection(question)) return { kind: "refuse", reason: "injection" };
  if (needsClarification(question)) return { kind: "clarify" };
  const retrieval = await deps.kb.search(question, LLM_PASSAGES);
  const minScore = deps.minScore ?? DEFAULT_MIN_SCORE;
  const decided = retrieval.questions.slice(0, MAX_QUESTIONS).map((q) => {
    const best = q.passages[0];
    const reason: FaqDontKnowReason | undefined = !best
      ? "out_of_scope"
      : best.score < minScore
        ? "no_match"
        : decideDontKnow(q.text, q.evidence, best.excerpt);
    return { question: q, best, reason };
  });
  // The first question is the one the message is about: a follow-up ("qual o nome pra baixar?")
  // makes no sense answered alone.
  const lead = decided[0];
  if (!lead || lead.reason || !lead.best)
    return { kind: "dont_know", reason: lead?.reason ?? "out_of_scope" };
  const answered = decided.flatMap((d) => (d.best && !d.reason ? [{ ...d, best: d.best }] : []));
  const first = { ...lead, best: lead.best };
  const fallback = () =>
    passageAnswer(
      answered.flatMap((a) => [a.best, ...tiedRunnerUp(a.question)]),
      answered.length < decided.length,
    );
  if (!deps.llm || !deps.instruction) return fallback();
  // Pages close to each question's best only: a loosely related page gives the model wrong sentences.
  const relevant = answered.flatMap((a) =>
    a.question.passages.filter((p) => p.score >= minScore && p.score >= a.best.score - CLOSE_SCORE),
  );
  const passages = [...new Map(relevant.map((p) => [p.pageId, p])).values()].slice(0, LLM_PASSAGES);
  const llm = await askLlm(deps.llm, deps.instruction, question, passages, deps.onUsage);
  if (llm.kind === "failed") return fallback();
  if (llm.kind === "not_found") return { kind: "dont_know", reason: "no_match" };
  if (!isGrounded(llm.text, passages.map(sourceText))) return fallback();
  const used = passages.filter((p) => llm.sourceIds.includes(p.pageId));
  const sources = (used.length > 0 ? used : [first.best]).map((p) => ({ id: p.pageId, title: p.title }));
  return { kind: "answer", mode: "llm", text: llm.text.trim(), sources };
}

/**
 * The second page when it matches the question as well as the first (best over second raw score
 * below TIED): which of the two answers is a coin toss, so the customer reads both, the second as
 * its few answering sentences.
 */
function tiedRunnerUp(question: QuestionResult): Passage[] {
  const second = question.passages[1];
  if (!second?.excerpt || question.evidence.margin >= TIED || question.evidence.margin < 1) return [];
  return [{ ...second, section: second.excerpt }];
}

/**
 * The degraded-mode answer: for each question of the message, the sentences of its best page that
 * answer it (see selectSentences), as the operator wrote them. The source pages are cited by the
 * agent's prompt (operator wording), not here. When one of two questions has no answer, says so.
 */
export function passageAnswer(best: Passage[], partial = false): FaqAnswer {
  // Two questions on one page get the sentences of each; the same sentences once.
  const texts = [...new Set(best.map((p) => p.section || p.excerpt || trimPassage(p.text)))];
  const pages = [...new Map(best.map((p) => [p.pageId, p])).values()];
  if (partial) texts.push(PARTIAL_NOTE);
  return {
    kind: "answer",
    mode: "passage",
    text: texts.join("\n\n"),
    sources: pages.map((p) => ({ id: p.pageId, title: p.title })),
  };
}

/**
 * What the LLM reads of a page: the section(s) the degraded answer would quote, each under its
 * heading (picked sentences alone run sentences of different sections together), else the best
 * chunk. The grounding check compares with exactly this.
 */
const passageText = (p: Passage) => {
  const text = p.section || p.excerpt;
  return text ? text.replace(/^\*[^*\n]+\*\n/, "") : p.text;
};
const sourceText = (p: Passage) => `${p.title}\n${p.heading}\n${passageText(p)}`;

async function askLlm(
  llm: FaqLlm,
  instruction: string,
  question: string,
  passages: Passage[],
  onUsage?: (usage: Usage) => void,
): Promise<
  { kind: "answer"; text: string; sourceIds: string[] } | { kind: "not_found" } | { kind: "failed" }
> {
  const data = {
    trechos: passages.map((p) => ({
      id: p.pageId,
      titulo: p.title,
      secao: p.heading,
      texto: passageText(p),
    })),
    pergunta_do_cliente: question,
  };
  const messages: ChatMessage[] = [
    { role: "system", content: instruction },
    { role: "user", content: JSON.stringify(data) },
  ];
  const result = await llm.callWithTools({ messages, tools: [answerTool], temperature: 0, maxTokens: 400 });
  onUsage?.(result.usage);
  if (!result.ok) return { kind: "failed" };
  const call = result.toolCalls.find((c) => c.name === answerTool.name);
  const args = answerArgs.safeParse(call?.args);
  if (!args.success) return { kind: "failed" };
  if (!args.data.found || !args.data.answer.trim()) return { kind: "not_found" };
  return { kind: "answer", text: args.data.answer, sourceIds: args.data.source_ids };
}
