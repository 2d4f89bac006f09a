import { existsSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeWorkerUtils, runMigrations } from "graphile-worker";
import type pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import { gazetteerFor } from "./agents/extract/createGazetteer.ts";
import { matchDistributor } from "./agents/extract/matchDistributor.ts";
import type { FaqReply } from "./agents/runtime/faqReply.ts";
import { type Config, ConfigError, loadConfig } from "./config/loadConfig.ts";
import { withLocalSecrets } from "./config/withLocalSecrets.ts";
import { consoleRoutes } from "./console/consoleRoutes.ts";
import { createSimulator } from "./console/createSimulator.ts";
import { createSimulatorClock } from "./console/createSimulatorClock.ts";
import { loadContent } from "./content/loadContent.ts";
import { routeAgent } from "./content/parseRouting.ts";
import { runTurn } from "./conversation/runTurn.ts";
import { createPool } from "./db/createPool.ts";
import { migrate, pendingMigrations, readMigrations } from "./db/migrate.ts";
import { startEmbeddedPostgres } from "./db/startEmbeddedPostgres.ts";
import { fireDueFollowUps } from "./followups/fireDueFollowUps.ts";
import { createApp } from "./http/createApp.ts";
import { createWebhookBatcher } from "./inbox/createWebhookBatcher.ts";
import { storeWebhooks } from "./inbox/storeWebhook.ts";
import { createLogger } from "./ops/createLogger.ts";
import { createMetrics } from "./ops/createMetrics.ts";
import { sendOutboxMessage } from "./outbound/sendOutboxMessage.ts";
import { startWorker, type WorkerHandle } from "./queue/startWorker.ts";
import { syncTemplates } from "./templates/syncTemplates.ts";
import { createSupabaseLeadSink } from "./tools/crm/createSupabaseLeadSink.ts";
import { syncLead } from "./tools/crm/syncLead.ts";
import { createLlmClient } from "./tools/llm/createLlmClient.ts";
import { AUDIO_MIMES, BILL_MIMES, processMedia } from "./tools/media/processMedia.ts";
import { purgeExpiredMedia, readSandboxMedia } from "./tools/media/storedMedia.ts";
import { createOcrPool } from "./tools/ocr/createOcrPool.ts";
import { createBillReader } from "./tools/ocr/readBill.ts";
import { createPlansProvider } from "./tools/plans/createPlansProvider.ts";
import { answerQuestion } from "./tools/rag/answerQuestion.ts";
import { createEmbedder } from "./tools/rag/createEmbedder.ts";
import { createKnowledgeBase } from "./tools/rag/createKnowledgeBase.ts";
import { indexKnowledge } from "./tools/rag/indexKnowledge.ts";
import { loadKnowledge } from "./tools/rag/loadKnowledge.ts";
import { createTranscriber } from "./tools/transcribe/createTranscriber.ts";
import { createVisionCheck } from "./tools/vision/checkBillFields.ts";
import { parseWebhook } from "./webhook/parseWebhook.ts";
import { createGraphClient } from "./whatsapp/createGraphClient.ts";
import { createSandboxTransport } from "./whatsapp/createSandboxTransport.ts";
import { createGraphMediaFetcher, createSandboxMediaFetcher } from "./whatsapp/fetchGraphMedia.ts";
import type { WhatsAppTransport } from "./whatsapp/transport.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MEDIA_PURGE_INTERVAL_MS = 60 * 60 * 1000;

export type Service = {
  config: Config;
  pool: pg.Pool;
  logger: Logger;
  transport: WhatsAppTransport;
  /** http://host:port the web role listens on (undefined for ROLE=worker). */
  url: string | undefined;
  worker: WorkerHandle | undefined;
  /** Sends the follow-ups due on the conversation clock now (the worker also polls). */
  fireFollowUps: () => Promise<number>;
  stop: () => Promise<void>;
};

const turnPayload = z.object({ conversationId: z.number().int().positive() });
const sendPayload = z.object({ outboxId: z.number().int().positive() });
const leadPayload = z.object({ leadId: z.number().int().positive() });
const mediaPayload = z.object({ mediaId: z.number().int().positive() });

/** Composition root: the only place that builds the database, clients, logger, worker and server. */
export async function startService(
  loaded: Config,
  options: {
    logger?: Logger;
    rootDir?: string;
    /** Where agents/ and prompts/ are (default: the project root). */
    contentDir?: string;
    /**
     * The conversation clock: what turns (and the 24-hour window) take as "now". The story runner
     * passes a fake one; transport timing (retries, rate limits) always runs on the real clock.
     */
    clock?: () => Date;
  } = {},
): Promise<Service> {
  const config = withLocalSecrets(loaded);
  const rootDir = options.rootDir ?? ROOT;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const now = () => new Date();
  const {
    WHATSAPP_APP_SECRET: appSecret,
    WHATSAPP_VERIFY_TOKEN: verifyToken,
    ADMIN_TOKEN: adminToken,
  } = config;
  if (!appSecret || !verifyToken || !adminToken)
    throw new ConfigError(["webhook and admin secrets are missing"]);

  // The browser simulator (console): on with the sandbox outside production unless turned off; it
  // brings its own conversation clock, which the operator moves forward to fire follow-ups.
  const simulatorOn =
    config.SIMULATOR === "on" ||
    (config.SIMULATOR === "auto" && config.sandbox && config.NODE_ENV !== "production");
  // Only where it is one process's clock over sandbox conversations: moving it elsewhere would move
  // real customers' 24-hour windows, or disagree between processes.
  const simClock =
    simulatorOn && !options.clock && config.sandbox && config.ROLE === "all"
      ? createSimulatorClock()
      : undefined;
  const clock = options.clock ?? simClock?.now ?? now;
  const contentDir = options.contentDir ?? rootDir;
  const { agents, prompts, routing, templates } = await loadContent(contentDir);
  // Every municipality indexed now, not on the first customer's message (about 70 ms).
  for (const a of agents.values()) gazetteerFor(a.definition.data.cities);
  // The FAQ's knowledge base: validated before anything starts (file:line errors), indexed below.
  const knowledgeDir = config.KNOWLEDGE_DIR ?? join(contentDir, "knowledge");
  const knowledge = existsSync(knowledgeDir) ? await loadKnowledge(knowledgeDir) : undefined;
  if (config.DEFAULT_AGENT && !agents.has(config.DEFAULT_AGENT)) {
    throw new ConfigError([
      `DEFAULT_AGENT: no agent "${config.DEFAULT_AGENT}" in agents/ (agents: ${[...agents.keys()].join(", ")})`,
    ]);
  }
  if (config.LLM_BASE_URL && !prompts.has("llm.extract")) {
    throw new ConfigError([
      "LLM_BASE_URL is set but prompts/ has no llm.extract prompt (the LLM's instructions)",
    ]);
  }
  const llm = config.LLM_BASE_URL
    ? createLlmClient({
        baseUrl: config.LLM_BASE_URL,
        apiKey: config.LLM_API_KEY ?? "none",
        model: config.LLM_MODEL,
        timeoutMs: config.LLM_TIMEOUT_MS,
        breaker: { failures: config.LLM_BREAKER_FAILURES, cooldownMs: config.LLM_BREAKER_COOLDOWN_MS },
        maxConcurrency: config.LLM_MAX_CONCURRENCY,
      })
    : undefined;
  const embedded = config.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT, logger);
  const connectionString = config.DATABASE_URL ?? embedded?.connectionString;
  if (!connectionString) throw new ConfigError(["DATABASE_URL: no database"]);
  const pool = createPool(connectionString, config.DATABASE_POOL_SIZE, logger);

  const migrations = await readMigrations(`${rootDir}/migrations`);
  await migrate(pool, migrations, logger, () => runMigrations({ pgPool: pool }));

  // Re-indexed only when the pages changed (content hash), under a lock: replicas may start together.
  const embed = config.EMBEDDINGS_BASE_URL
    ? createEmbedder({
        baseUrl: config.EMBEDDINGS_BASE_URL,
        ...(config.EMBEDDINGS_API_KEY ? { apiKey: config.EMBEDDINGS_API_KEY } : {}),
        model: config.EMBEDDINGS_MODEL,
        timeoutMs: config.LLM_TIMEOUT_MS,
      })
    : undefined;
  const kb = knowledge ? createKnowledgeBase({ pool, ...(embed ? { embed } : {}) }) : undefined;
  if (knowledge) {
    const indexed = await indexKnowledge(pool, knowledge, embed ? { embed } : {});
    logger.info({ dir: knowledgeDir, ...indexed }, "knowledge base ready");
  }
  const faqInstruction = prompts.get("faq.answer")?.body;
  const answerFaq = kb
    ? async (question: string, options: { llm: boolean }) => {
        const usage = { promptTokens: 0, completionTokens: 0 };
        const a = await answerQuestion(
          {
            kb,
            minScore: config.FAQ_MIN_SCORE,
            ...(llm && faqInstruction && options.llm ? { llm, instruction: faqInstruction } : {}),
            onUsage: (u) => {
              usage.promptTokens += u.promptTokens;
              usage.completionTokens += u.completionTokens;
            },
          },
          question,
        );
        const reply: FaqReply =
          a.kind === "answer"
            ? { kind: "answer", text: a.text, source: a.sources.map((s) => s.title).join("; ") }
            : { kind: a.kind };
        return { reply, usage };
      }
    : undefined;

  const metrics = createMetrics(async () => {
    const { rows } = await pool.query<{ n: number }>(
      "select count(*)::int as n from graphile_worker.jobs where locked_at is null and run_at <= now() and attempts < max_attempts",
    );
    return rows[0]?.n ?? 0;
  });
  const storeOptions = {
    routeAgent: (phoneNumberId: string) => config.DEFAULT_AGENT ?? routeAgent(routing, phoneNumberId),
    turnDebounceMs: config.TURN_DEBOUNCE_MS,
    turnMaxAttempts: config.TURN_MAX_ATTEMPTS,
  };
  const store = createWebhookBatcher((inputs) => storeWebhooks(pool, inputs, storeOptions));
  const transport: WhatsAppTransport = config.WHATSAPP_ACCESS_TOKEN
    ? createGraphClient({
        baseUrl: config.WHATSAPP_GRAPH_BASE_URL,
        accessToken: config.WHATSAPP_ACCESS_TOKEN,
        timeoutMs: config.GRAPH_TIMEOUT_MS,
      })
    : createSandboxTransport({
        pool,
        logger: logger.child({ transport: "sandbox" }),
        ingest: async (body) => {
          await store({ rawBody: Buffer.from(JSON.stringify(body)), parsed: parseWebhook(body, now()) });
        },
      });
  logger.info(
    {
      transport: transport.name,
      llm: llm ? config.LLM_MODEL : "off (degraded mode)",
      crm: config.SUPABASE_URL ? `supabase table ${config.SUPABASE_LEADS_TABLE}` : "off",
      role: config.ROLE,
      agents: [...agents.values()].map((a) => `${a.definition.id}@${a.hash}`),
    },
    "starting",
  );

  const supabaseKey = config.SUPABASE_SECRET_KEY ?? config.SUPABASE_SERVICE_ROLE_KEY;
  const leadSink =
    config.SUPABASE_URL && supabaseKey
      ? createSupabaseLeadSink({
          url: config.SUPABASE_URL,
          key: supabaseKey,
          table: config.SUPABASE_LEADS_TABLE,
          timeoutMs: config.SUPABASE_TIMEOUT_MS,
        })
      : undefined;

  const plans = config.PLANS_API_URL
    ? createPlansProvider({
        url: config.PLANS_API_URL,
        timeoutMs: config.PLANS_API_TIMEOUT_MS,
        cacheMs: config.PLANS_CACHE_MS,
        logger,
      })
    : undefined;

  // Bill OCR: one warm pool per process (created on the first bill, never per message), reading
  // against every loaded agent's distributor list (operator data).
  const ocrPool = config.ROLE !== "web" ? createOcrPool(config.OCR_POOL_SIZE) : undefined;
  const distributors = [
    ...new Map(
      [...agents.values()].flatMap((a) => a.definition.data.distributors).map((d) => [d.name, d]),
    ).values(),
  ];
  const readBill = ocrPool
    ? createBillReader({ pool: ocrPool, distributors, maxPdfPages: config.OCR_MAX_PDF_PAGES })
    : undefined;
  const transcribe = config.TRANSCRIBE_BASE_URL
    ? createTranscriber({
        baseUrl: config.TRANSCRIBE_BASE_URL,
        ...(config.TRANSCRIBE_API_KEY ? { apiKey: config.TRANSCRIBE_API_KEY } : {}),
        model: config.TRANSCRIBE_MODEL,
        timeoutMs: config.MEDIA_TIMEOUT_MS,
        maxDurationSec: config.VOICE_MAX_SECONDS,
        language: "pt",
      })
    : undefined;
  const checkVision =
    config.VISION_MODEL && config.LLM_BASE_URL
      ? createVisionCheck({
          baseUrl: config.LLM_BASE_URL,
          ...(config.LLM_API_KEY ? { apiKey: config.LLM_API_KEY } : {}),
          model: config.VISION_MODEL,
          timeoutMs: config.LLM_TIMEOUT_MS,
        })
      : undefined;
  const mediaLimits = { maxBytes: config.MEDIA_MAX_BYTES, allowedMimes: [...BILL_MIMES, ...AUDIO_MIMES] };
  const fetchMedia = config.WHATSAPP_ACCESS_TOKEN
    ? createGraphMediaFetcher({
        baseUrl: config.WHATSAPP_GRAPH_BASE_URL,
        accessToken: config.WHATSAPP_ACCESS_TOKEN,
        timeoutMs: config.MEDIA_TIMEOUT_MS,
        allowedHosts: config.MEDIA_ALLOWED_HOSTS,
        limits: mediaLimits,
      })
    : createSandboxMediaFetcher({ read: (id) => readSandboxMedia(pool, id), limits: mediaLimits });

  let worker: WorkerHandle | undefined;
  if (config.ROLE !== "web") {
    worker = await startWorker({
      pool,
      logger,
      concurrency: config.WORKER_CONCURRENCY,
      pollIntervalMs: config.WORKER_POLL_INTERVAL_MS,
      staleAfterMs: config.WORKER_STALE_AFTER_MS,
      tasks: {
        conversation_turn: async (payload) => {
          const { conversationId } = turnPayload.parse(payload);
          await runTurn(
            {
              pool,
              logger,
              agents,
              prompts,
              templates,
              transport,
              metrics,
              now: clock,
              timeoutMs: config.TURN_TIMEOUT_MS,
              llmPolicy: {
                model: config.LLM_MODEL,
                historyMessages: config.LLM_HISTORY_MESSAGES,
                priceInputPerMTok: config.LLM_PRICE_INPUT_PER_MTOK,
                priceOutputPerMTok: config.LLM_PRICE_OUTPUT_PER_MTOK,
                dailyCapUsd: config.LLM_DAILY_COST_CAP_USD,
              },
              syncLeads: leadSink !== undefined,
              ...(answerFaq ? { answerQuestion: answerFaq } : {}),
              // DEFAULT_AGENT starts every conversation in one agent, questions too.
              ...(routing.questions && !config.DEFAULT_AGENT
                ? {
                    questionAgent: (phoneNumberId: string, agentId: string) =>
                      agentId === routeAgent(routing, phoneNumberId) ? routing.questions : undefined,
                  }
                : {}),
              ...(plans ? { plans } : {}),
              ...(llm ? { llm } : {}),
            },
            conversationId,
          );
        },
        sync_lead: async (payload) => {
          const { leadId } = leadPayload.parse(payload);
          if (!leadSink) {
            logger.warn({ leadId }, "lead sync job without a CRM configured; skipped");
            return;
          }
          await syncLead({ pool, logger, sink: leadSink }, leadId);
        },
        erase_lead: async (payload) => {
          const { leadId } = leadPayload.parse(payload);
          if (!leadSink) return;
          const result = await leadSink.remove(leadId);
          if (!result.ok && result.retryable)
            throw new Error(`CRM erase of lead ${leadId}: ${result.status} ${result.message}`);
          if (!result.ok)
            logger.error({ leadId, code: result.code, hint: result.hint }, "CRM erase failed permanently");
          else logger.info({ leadId }, "lead erased from the CRM");
        },
        process_media: async (payload, helpers) => {
          const { mediaId } = mediaPayload.parse(payload);
          if (!readBill) throw new Error("process_media in a process without OCR");
          await processMedia(
            {
              pool,
              logger,
              fetchMedia,
              readBill,
              ...(transcribe ? { transcribe } : {}),
              ...(checkVision ? { checkVision } : {}),
              canonicalDistributor: (name) => matchDistributor(name, distributors)?.name,
              retentionDays: config.MEDIA_RETENTION_DAYS,
              turnMaxAttempts: config.TURN_MAX_ATTEMPTS,
            },
            mediaId,
            { number: helpers.job.attempts, max: helpers.job.max_attempts },
          );
        },
        send_message: async (payload) => {
          const { outboxId } = sendPayload.parse(payload);
          await sendOutboxMessage(
            {
              pool,
              logger,
              transport,
              metrics,
              config,
              now,
              conversationNow: clock,
              random: Math.random,
            },
            outboxId,
          );
        },
      },
    });
  }

  const fireFollowUps = () => fireDueFollowUps({ pool, logger, agents, templates, now: clock });
  // Follow-ups live in a table on the conversation clock: the worker polls for due ones, so they
  // survive restarts and a story's fake clock drives them too.
  const followUpTimer =
    config.ROLE !== "web"
      ? setInterval(() => {
          fireFollowUps().catch((err: unknown) => logger.warn({ err: String(err) }, "follow-up poll failed"));
        }, config.FOLLOW_UP_POLL_MS)
      : undefined;
  followUpTimer?.unref();
  // Retention: downloaded files past MEDIA_RETENTION_DAYS lose their bytes (the reading stays).
  const purgeTimer =
    config.ROLE !== "web"
      ? setInterval(() => {
          purgeExpiredMedia(pool).catch((err: unknown) =>
            logger.warn({ err: String(err) }, "media purge failed"),
          );
        }, MEDIA_PURGE_INTERVAL_MS)
      : undefined;
  purgeTimer?.unref();
  const syncTemplateStatus = async () =>
    config.WHATSAPP_WABA_ID
      ? syncTemplates({ pool, logger, transport, wabaId: config.WHATSAPP_WABA_ID, registry: templates })
      : 0;
  // Template approval: pulled at start-up and periodically by the worker; webhooks update it in between.
  const templateTimer =
    config.ROLE !== "web" && config.WHATSAPP_WABA_ID && transport.listTemplates
      ? setInterval(() => {
          syncTemplateStatus().catch((err: unknown) =>
            logger.warn({ err: String(err) }, "template sync failed"),
          );
        }, config.TEMPLATE_SYNC_INTERVAL_MS)
      : undefined;
  templateTimer?.unref();
  if (templateTimer)
    void syncTemplateStatus().catch((err: unknown) =>
      logger.warn({ err: String(err) }, "template sync failed"),
    );

  let shuttingDown = false;
  const readiness = async () => {
    const checks: Record<string, boolean | string> = { shuttingDown };
    try {
      checks.database = (await pendingMigrations(pool, migrations)) === 0 ? true : "migrations pending";
    } catch (err) {
      checks.database = err instanceof Error ? err.message : "unreachable";
    }
    checks.worker = config.ROLE === "web" ? "not in this role" : (worker?.running() ?? false);
    const ok = !shuttingDown && checks.database === true && checks.worker !== false;
    return { ok, checks };
  };

  let server: Server | undefined;
  let url: string | undefined;
  let consoleApp: ReturnType<typeof consoleRoutes> | undefined;
  if (config.ROLE !== "worker") {
    const retryJobs = async (ids: string[]) => {
      const utils = await makeWorkerUtils({ pgPool: pool });
      try {
        const jobs = await utils.rescheduleJobs(ids, { runAt: new Date(), attempts: 0 });
        return jobs.length;
      } finally {
        await utils.release();
      }
    };
    consoleApp = consoleRoutes({
      pool,
      logger,
      agents,
      templates,
      now: clock,
      transport: transport.name,
      auth: {
        password: config.CONSOLE_PASSWORD ?? adminToken,
        // No login only for the local embedded default: a laptop, nobody else on the database.
        loginRequired:
          config.CONSOLE_LOGIN === "required" ||
          config.DATABASE_URL !== undefined ||
          config.NODE_ENV === "production",
        sessionHours: config.CONSOLE_SESSION_HOURS,
        maxAttempts: config.CONSOLE_LOGIN_ATTEMPTS,
        production: config.NODE_ENV === "production",
      },
      simulator: simulatorOn
        ? createSimulator({
            pool,
            appSecret,
            webhookUrl: () => url ?? `http://127.0.0.1:${config.PORT}`,
            clock: simClock,
            now: clock,
            limits: mediaLimits,
            fireFollowUps,
          })
        : undefined,
      crm: leadSink !== undefined,
      retryJobs,
    });
    const app = createApp({
      pool,
      logger,
      metrics,
      appSecret,
      verifyToken,
      adminToken,
      maxBodyBytes: config.WEBHOOK_MAX_BODY_BYTES,
      store,
      now,
      readiness,
      sandbox: config.sandbox,
      crm: leadSink !== undefined,
      ...(config.WHATSAPP_WABA_ID ? { syncTemplates: syncTemplateStatus } : {}),
      retryJobs,
      console: consoleApp.router,
    });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.PORT, config.HOST, () => resolve(s));
      s.once("error", reject);
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.PORT;
    url = `http://${config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST}:${port}`;
    logger.info(
      { url, webhook: `${url}/webhook`, console: `${url}/console`, simulator: simulatorOn },
      "listening",
    );
  }

  const stop = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    clearInterval(followUpTimer);
    clearInterval(templateTimer);
    clearInterval(purgeTimer);
    consoleApp?.close();
    const closing = server
      ? new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        })
      : Promise.resolve();
    await worker?.stop();
    await ocrPool?.close();
    await closing;
    await pool.end();
    await embedded?.stop();
    logger.info("stopped");
  };
  return { config, pool, logger, transport, url, worker, fireFollowUps, stop };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    // The one place the environment is read.
    config = loadConfig(process.env);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const service = await startService(config, { logger }).catch((err: unknown) => {
    logger.fatal({ err: err instanceof Error ? err.message : String(err) }, "start-up failed");
    process.exit(1);
  });
  const shutdown = (signal: string) => {
    logger.info({ signal }, "shutting down");
    // Past the budget, exit anyway: jobs left locked are released by the heartbeat sweeper.
    setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: String(err) }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.on("unhandledRejection", (err) => logger.error({ err: String(err) }, "unhandled rejection"));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
