import type { TaskList } from "graphile-worker";
import type pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import type { Config } from "../config/loadConfig.ts";
import type { Content } from "../content/loadContent.ts";
import { routeAgent } from "../content/parseRouting.ts";
import { POISON_ATTEMPTS, quarantineTurn } from "../conversation/quarantineTurn.ts";
import { runTurn } from "../conversation/runTurn.ts";
import type { LlmPolicy, TurnDeps } from "../conversation/turnDeps.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import { sendOutboxMessage } from "../outbound/sendOutboxMessage.ts";
import type { LeadSink } from "../tools/crm/createSupabaseLeadSink.ts";
import { syncLead } from "../tools/crm/syncLead.ts";
import type { LlmClient } from "../tools/llm/createLlmClient.ts";
import { modelPrices } from "../tools/llm/modelPrices.ts";
import { type MediaDeps, processMedia } from "../tools/media/processMedia.ts";
import type { PlansProvider } from "../tools/plans/createPlansProvider.ts";
import type { AnswerFaq } from "../tools/rag/startKnowledgeBase.ts";
import { markReadBriefly } from "../whatsapp/markReadBriefly.ts";
import type { WhatsAppTransport } from "../whatsapp/transport.ts";
import { startWorker, type WorkerHandle } from "./startWorker.ts";

/** How long a file's job waits for its read receipt / typing indicator before reading anyway. */
const FILE_TYPING_WAIT_MS = 1000;

const turnPayload = z.object({ conversationId: z.number().int().positive() });
const sendPayload = z.object({ outboxId: z.number().int().positive() });
const leadPayload = z.object({ leadId: z.number().int().positive() });
const mediaPayload = z.object({ mediaId: z.number().int().positive() });

export type WorkerParts = {
  config: Config;
  pool: pg.Pool;
  logger: Logger;
  content: Content;
  transport: WhatsAppTransport;
  metrics: Metrics;
  /** The conversation clock (a story's or the simulator's); transport timing runs on the real one. */
  clock: () => Date;
  llm?: LlmClient | undefined;
  answerFaq?: AnswerFaq | undefined;
  plans?: PlansProvider | undefined;
  leadSink?: LeadSink | undefined;
  /** Undefined in a process that reads no files (ROLE=web). */
  media?: MediaDeps | undefined;
};

/** The job runner of a worker process (none for ROLE=web), with every task of the queue. */
export async function startWorkers(p: WorkerParts): Promise<WorkerHandle | undefined> {
  if (p.config.ROLE === "web") return undefined;
  return startWorker({
    pool: p.pool,
    logger: p.logger,
    concurrency: p.config.WORKER_CONCURRENCY,
    pollIntervalMs: p.config.WORKER_POLL_INTERVAL_MS,
    staleAfterMs: p.config.WORKER_STALE_AFTER_MS,
    tasks: createWorkerTasks(p),
  });
}

/** The queue's whole vocabulary: one handler per task, each parsing its payload. */
export function createWorkerTasks(p: WorkerParts): TaskList {
  const turnDeps = createTurnDeps(p);
  const now = () => new Date();
  const sendDeps = { ...p, now, conversationNow: p.clock, random: Math.random };
  return {
    conversation_turn: async (payload, helpers) => {
      const { conversationId } = turnPayload.parse(payload);
      try {
        await runTurn(turnDeps, conversationId);
      } catch (err) {
        // A turn that keeps failing sets its messages aside instead of holding the conversation.
        if (helpers.job.attempts < POISON_ATTEMPTS) throw err;
        await quarantineTurn(turnDeps, conversationId, err);
      }
    },
    send_message: async (payload) => {
      await sendOutboxMessage(sendDeps, sendPayload.parse(payload).outboxId);
    },
    sync_lead: async (payload) => {
      const { leadId } = leadPayload.parse(payload);
      if (!p.leadSink) return p.logger.warn({ leadId }, "lead sync job without a CRM configured; skipped");
      await syncLead({ pool: p.pool, logger: p.logger, sink: p.leadSink }, leadId);
    },
    erase_lead: async (payload) => {
      const { leadId } = leadPayload.parse(payload);
      if (!p.leadSink) return;
      const result = await p.leadSink.remove(leadId);
      if (!result.ok && result.retryable)
        throw new Error(`CRM erase of lead ${leadId}: ${result.status} ${result.message}`);
      if (!result.ok)
        p.logger.error({ leadId, code: result.code, hint: result.hint }, "CRM erase failed permanently");
      else p.logger.info({ leadId }, "lead erased from the CRM");
    },
    process_media: async (payload, helpers) => {
      const { mediaId } = mediaPayload.parse(payload);
      if (!p.media) throw new Error("process_media in a process without OCR");
      // Briefly, so "typing…" reaches the phone before the download; a slow Graph API does not
      // hold the reading.
      const showTyping = (i: { phoneNumberId: string; wamid: string }, log: Logger) =>
        markReadBriefly(p.transport, i, log, FILE_TYPING_WAIT_MS);
      await processMedia({ ...p.media, showTyping }, mediaId, {
        number: helpers.job.attempts,
        max: helpers.job.max_attempts,
      });
    },
  };
}

/** What every turn gets: content, clients, the LLM policy, and where a question opens a conversation. */
function createTurnDeps(p: WorkerParts): TurnDeps {
  const { config } = p;
  const { agents, prompts, templates, routing } = p.content;
  return {
    pool: p.pool,
    logger: p.logger,
    agents,
    prompts,
    templates,
    transport: p.transport,
    metrics: p.metrics,
    now: p.clock,
    timeoutMs: config.TURN_TIMEOUT_MS,
    llmPolicy: llmPolicyOf(config),
    syncLeads: p.leadSink !== undefined,
    ...(p.answerFaq ? { answerQuestion: p.answerFaq } : {}),
    // DEFAULT_AGENT starts every conversation in one agent, questions too.
    ...(routing.questions && !config.DEFAULT_AGENT
      ? {
          questionAgent: (phoneNumberId: string, agentId: string) =>
            agentId === routeAgent(routing, phoneNumberId) ? routing.questions : undefined,
        }
      : {}),
    ...(p.plans ? { plans: p.plans } : {}),
    ...(p.llm ? { llm: p.llm } : {}),
  };
}

/** The LLM's prices (configured, else the model's list price) and the daily caps. */
function llmPolicyOf(config: Config): LlmPolicy {
  const prices = modelPrices(config.LLM_MODEL, {
    input: config.LLM_PRICE_INPUT_PER_MTOK,
    output: config.LLM_PRICE_OUTPUT_PER_MTOK,
  });
  return {
    model: config.LLM_MODEL,
    historyMessages: config.LLM_HISTORY_MESSAGES,
    priceInputPerMTok: prices.input,
    priceOutputPerMTok: prices.output,
    dailyCapUsd: config.LLM_DAILY_COST_CAP_USD,
    dailyTotalCapUsd: config.LLM_DAILY_TOTAL_COST_CAP_USD,
  };
}
