import { detectIntent } from "../agents/extract/detectIntent.ts";
import type { FaqReply } from "../agents/runtime/faqReply.ts";
import { detectInjection } from "../tools/rag/detectInjection.ts";
import type { createSpendCheck } from "./interpretTurn.ts";
import type { PendingRow } from "./loadTurn.ts";
import type { Routed } from "./routeTurn.ts";
import type { TurnDeps } from "./turnDeps.ts";
import type { createTrace } from "./turnTrace.ts";

export type Answers = {
  /** The knowledge base's reply per inbound message id. */
  byMessage: Map<number, FaqReply>;
  usage: { promptTokens: number; completionTokens: number };
};

/**
 * Stage 5 — answer questions: questions off the script (and instructions aimed at the bot, which
 * get the refusal) are answered from the knowledge base before the agent decides, so the agent
 * stays pure: the answer comes in with the message. A finished conversation looks nothing up.
 */
export async function answerQuestions(
  deps: TurnDeps,
  routed: Routed,
  rows: PendingRow[],
  spendCheck: ReturnType<typeof createSpendCheck>,
  trace: ReturnType<typeof createTrace>,
): Promise<Answers> {
  const answers: Answers = { byMessage: new Map(), usage: { promptTokens: 0, completionTokens: 0 } };
  const { agent, before } = routed;
  if (!deps.answerQuestion || !agent.definition.faq || (before.done && !before.resume)) return answers;
  const questions = rows.filter(
    (r) => r.text?.trim() && (detectIntent(r.text) === "question" || detectInjection(r.text)),
  );
  if (questions.length === 0) return answers;
  const capped = await spendCheck.capReached();
  trace.mark("prepare");
  for (const r of questions) {
    const started = Date.now();
    const { reply, usage } = await deps.answerQuestion(r.text ?? "", { llm: !capped });
    answers.usage.promptTokens += usage.promptTokens;
    answers.usage.completionTokens += usage.completionTokens;
    answers.byMessage.set(r.id, reply);
    trace.mark("retrieval", {
      outcome: reply.kind,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
    });
    deps.logger.info({ faq: reply.kind, ms: Date.now() - started, tokens: usage, capped }, "faq answer");
  }
  return answers;
}
