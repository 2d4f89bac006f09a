import type pg from "pg";
import type { Logger } from "pino";
import type { FaqReply } from "../../agents/runtime/faqReply.ts";
import type { Config } from "../../config/loadConfig.ts";
import type { Prompt } from "../../content/parsePrompt.ts";
import type { LlmClient } from "../llm/createLlmClient.ts";
import { answerQuestion } from "./answerQuestion.ts";
import { createEmbedder } from "./createEmbedder.ts";
import { createKnowledgeBase } from "./createKnowledgeBase.ts";
import { indexKnowledge } from "./indexKnowledge.ts";
import type { loadKnowledge } from "./loadKnowledge.ts";

export type AnswerFaq = (
  question: string,
  options: { llm: boolean },
) => Promise<{ reply: FaqReply; usage: { promptTokens: number; completionTokens: number } }>;

/**
 * The FAQ as a turn sees it: the knowledge pages indexed into Postgres (only when they changed,
 * under a lock: replicas may start together), embeddings when configured, and one function that
 * answers a question and reports the LLM tokens it used. None without a knowledge base.
 */
export async function startKnowledgeBase(deps: {
  config: Config;
  pool: pg.Pool;
  logger: Logger;
  prompts: ReadonlyMap<string, Prompt>;
  llm: LlmClient | undefined;
  knowledge: Awaited<ReturnType<typeof loadKnowledge>> | undefined;
  dir: string;
}): Promise<AnswerFaq | undefined> {
  const { config, pool, knowledge, llm } = deps;
  if (!knowledge) return undefined;
  const embed = config.EMBEDDINGS_BASE_URL
    ? createEmbedder({
        baseUrl: config.EMBEDDINGS_BASE_URL,
        ...(config.EMBEDDINGS_API_KEY ? { apiKey: config.EMBEDDINGS_API_KEY } : {}),
        model: config.EMBEDDINGS_MODEL,
        timeoutMs: config.LLM_TIMEOUT_MS,
      })
    : undefined;
  const kb = createKnowledgeBase({ pool, ...(embed ? { embed } : {}) });
  const indexed = await indexKnowledge(pool, knowledge, embed ? { embed } : {});
  deps.logger.info({ dir: deps.dir, ...indexed }, "knowledge base ready");
  const instruction = deps.prompts.get("faq.answer")?.body;
  return async (question, options) => {
    const usage = { promptTokens: 0, completionTokens: 0 };
    const withLlm = llm && instruction && options.llm ? { llm, instruction } : {};
    const onUsage = (u: typeof usage) => {
      usage.promptTokens += u.promptTokens;
      usage.completionTokens += u.completionTokens;
    };
    const a = await answerQuestion({ kb, minScore: config.FAQ_MIN_SCORE, ...withLlm, onUsage }, question);
    const reply: FaqReply =
      a.kind === "answer"
        ? { kind: "answer", text: a.text, source: a.sources.map((s) => s.title).join("; ") }
        : { kind: a.kind };
    return { reply, usage };
  };
}
