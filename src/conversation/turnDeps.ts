import type pg from "pg";
import type { Logger } from "pino";
import type { FaqReply } from "../agents/runtime/faqReply.ts";
import type { LoadedAgent } from "../content/loadContent.ts";
import type { Prompt } from "../content/parsePrompt.ts";
import type { Template } from "../content/parseTemplate.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import type { LlmClient } from "../tools/llm/createLlmClient.ts";
import type { PlansProvider } from "../tools/plans/createPlansProvider.ts";
import type { WhatsAppTransport } from "../whatsapp/transport.ts";

/** What a turn needs from the outside world: passed in, so every stage can be read alone. */
export type TurnDeps = {
  pool: pg.Pool;
  logger: Logger;
  agents: ReadonlyMap<string, LoadedAgent>;
  prompts: ReadonlyMap<string, Prompt>;
  /** The template registry (templates/*.yaml). */
  templates?: ReadonlyMap<string, Template>;
  /** Present when an LLM is configured; without it (or when it fails) turns run in degraded mode. */
  llm?: LlmClient;
  transport: WhatsAppTransport;
  metrics: Metrics;
  now: () => Date;
  /** Bound on one attempt: the lease lasts this long, and every database wait is bounded by it. */
  timeoutMs: number;
  /** Plans from the plans service (PLANS_API_URL); undefined: the agent's operator data. */
  plans?: PlansProvider;
  /** A CRM is configured: qualified (and needs_review) leads are queued for it. */
  syncLeads?: boolean;
  /** How much of the conversation the LLM sees, and what it may spend. */
  llmPolicy?: LlmPolicy;
  /**
   * The knowledge base (FAQ): answers questions for agents that have a `faq` section; with
   * `llm: false` (the conversation's daily cost cap is spent) from the passage alone. Returns the
   * tokens the LLM used, recorded with the turn.
   */
  answerQuestion?: (
    question: string,
    options: { llm: boolean },
  ) => Promise<{ reply: FaqReply; usage: { promptTokens: number; completionTokens: number } }>;
  /**
   * The agent a new conversation that opens with a question starts in (routing.yaml `questions`),
   * given its number and the agent routing gave it; undefined when it keeps its agent (one set
   * explicitly, or a number routed elsewhere).
   */
  questionAgent?: (phoneNumberId: string, agentId: string) => string | undefined;
};

export type LlmPolicy = {
  model: string;
  historyMessages: number;
  priceInputPerMTok: number;
  priceOutputPerMTok: number;
  dailyCapUsd: number;
  /** All conversations together, per day (0: no cap). */
  dailyTotalCapUsd: number;
};

export const DEFAULT_POLICY: LlmPolicy = {
  model: "unknown",
  historyMessages: 8,
  priceInputPerMTok: 0,
  priceOutputPerMTok: 0,
  dailyCapUsd: 0,
  dailyTotalCapUsd: 0,
};

export type TurnResult =
  | { kind: "no_conversation" }
  | { kind: "nothing_pending" }
  /** Another worker holds the conversation's lease: this job comes back when it ends. */
  | { kind: "busy" }
  /** Every pending message waits behind a file still being downloaded or read. */
  | { kind: "waiting_media" }
  /** An operator has the conversation: the messages were read, nothing was said. */
  | { kind: "silenced"; turnId: number }
  | { kind: "done"; turnId: number; inbound: number; outbox: number[]; agentVersion: string };
