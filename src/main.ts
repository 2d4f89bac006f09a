import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import type { Logger } from "pino";
import { gazetteerFor } from "./agents/extract/createGazetteer.ts";
import { type Config, ConfigError, loadConfig } from "./config/loadConfig.ts";
import { withLocalSecrets } from "./config/withLocalSecrets.ts";
import { createSimulatorClock } from "./console/createSimulatorClock.ts";
import { type Content, loadContent } from "./content/loadContent.ts";
import { routeAgent } from "./content/parseRouting.ts";
import { startDatabase } from "./db/startDatabase.ts";
import { startHealthServer } from "./http/startHealthServer.ts";
import { startWeb } from "./http/startWeb.ts";
import { createWebhookBatcher } from "./inbox/createWebhookBatcher.ts";
import { storeWebhooks } from "./inbox/storeWebhook.ts";
import { createLogger } from "./ops/createLogger.ts";
import { createMetrics } from "./ops/createMetrics.ts";
import { createReadiness } from "./ops/createReadiness.ts";
import { startPeriodicWork } from "./ops/startPeriodicWork.ts";
import { oldestUnsentSeconds } from "./outbound/oldestUnsentSeconds.ts";
import { startWorkers } from "./queue/createWorkerTasks.ts";
import type { WorkerHandle } from "./queue/startWorker.ts";
import { createLeadSinkFromConfig } from "./tools/crm/createLeadSinkFromConfig.ts";
import { createLlmFromConfig } from "./tools/llm/createLlmFromConfig.ts";
import { createMediaTools } from "./tools/media/createMediaTools.ts";
import { createPlansProvider } from "./tools/plans/createPlansProvider.ts";
import { loadKnowledge } from "./tools/rag/loadKnowledge.ts";
import { startKnowledgeBase } from "./tools/rag/startKnowledgeBase.ts";
import { parseWebhook } from "./webhook/parseWebhook.ts";
import { createTransport } from "./whatsapp/createTransport.ts";
import type { WhatsAppTransport } from "./whatsapp/transport.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export type Service = {
  config: Config;
  pool: pg.Pool;
  logger: Logger;
  transport: WhatsAppTransport;
  /** http://host:port the process listens on (a worker: its health endpoints only). */
  url: string | undefined;
  worker: WorkerHandle | undefined;
  /** Sends the follow-ups due on the conversation clock now (the worker also polls). */
  fireFollowUps: () => Promise<number>;
  stop: () => Promise<void>;
};

export type StartOptions = {
  logger?: Logger;
  rootDir?: string;
  /** Where agents/ and prompts/ are (default: the project root). */
  contentDir?: string;
  /**
   * The conversation clock: what turns (and the 24-hour window) take as "now". The story runner
   * passes a fake one; transport timing (retries, rate limits) always runs on the real clock.
   */
  clock?: () => Date;
};

/** Composition root: the only place that builds the database, clients, logger, worker and server. */
export async function startService(loaded: Config, options: StartOptions = {}): Promise<Service> {
  const config = requireSecrets(withLocalSecrets(loaded));
  const rootDir = options.rootDir ?? ROOT;
  const logger = options.logger ?? createLogger(config.LOG_LEVEL, undefined, prettyLogs(config));
  const simulator = simulatorOf(config, options);
  const clock = options.clock ?? simulator.clock?.now ?? (() => new Date());
  const contentDir = options.contentDir ?? rootDir;
  const content = await loadContent(contentDir);
  const knowledgeDir = config.KNOWLEDGE_DIR ?? join(contentDir, "knowledge");
  const knowledge = existsSync(knowledgeDir) ? await loadKnowledge(knowledgeDir) : undefined;
  checkContent(config, content);
  const llm = createLlmFromConfig(config);
  const db = await startDatabase(config, rootDir, logger);
  const { pool } = db;
  const kbParts = { config, pool, logger, prompts: content.prompts, llm, knowledge, dir: knowledgeDir };
  const answerFaq = await startKnowledgeBase(kbParts);
  const metrics = createMetrics({
    queueDepth: () => readyJobs(pool),
    oldestUnsentSeconds: () => oldestUnsentSeconds(pool),
  });
  const store = createWebhookBatcher((inputs) =>
    storeWebhooks(pool, inputs, {
      routeAgent: (phoneNumberId) => config.DEFAULT_AGENT ?? routeAgent(content.routing, phoneNumberId),
      turnDebounceMs: config.TURN_DEBOUNCE_MS,
      turnMaxAttempts: config.TURN_MAX_ATTEMPTS,
      sendRetry: { baseMs: config.SEND_RETRY_BASE_MS, maxMs: config.SEND_RETRY_MAX_MS },
    }),
  );
  const ingest = async (body: unknown) => {
    await store({ rawBody: Buffer.from(JSON.stringify(body)), parsed: parseWebhook(body, new Date()) });
  };
  const transport = createTransport(config, pool, logger, ingest);
  logStart(logger, config, transport, content, llm !== undefined);
  const leadSink = createLeadSinkFromConfig(config);
  const plans = config.PLANS_API_URL
    ? createPlansProvider({
        url: config.PLANS_API_URL,
        timeoutMs: config.PLANS_API_TIMEOUT_MS,
        cacheMs: config.PLANS_CACHE_MS,
        logger,
      })
    : undefined;
  const media = createMediaTools(config, pool, logger, content.agents);
  const parts = { config, pool, logger, content, transport, metrics, clock };
  const worker = await startWorkers({ ...parts, llm, answerFaq, plans, leadSink, media: media.deps });
  const periodic = startPeriodicWork(parts);
  let shuttingDown = false;
  const readiness = createReadiness({
    config,
    pool,
    migrations: db.migrations,
    worker,
    shuttingDown: () => shuttingDown,
  });
  const web =
    config.ROLE === "worker"
      ? await startHealthServer({ config, readiness, metrics })
      : await startWeb({
          ...parts,
          transportName: transport.name,
          store,
          readiness,
          simulator,
          mediaLimits: media.limits,
          fireFollowUps: periodic.fireFollowUps,
          syncTemplates: periodic.syncTemplateStatus,
          crm: leadSink !== undefined,
        });
  const stop = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    periodic.stop();
    const closing = web?.stop();
    await worker?.stop();
    await media.close();
    await closing;
    await db.stop();
    logger.info("stopped");
  };
  return {
    config,
    pool,
    logger,
    transport,
    url: web?.url,
    worker,
    fireFollowUps: periodic.fireFollowUps,
    stop,
  };
}

/** The webhook and admin secrets are the service's minimum: without them nothing is safe to run. */
function requireSecrets(config: Config) {
  const { WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, ADMIN_TOKEN } = config;
  if (!WHATSAPP_APP_SECRET || !WHATSAPP_VERIFY_TOKEN || !ADMIN_TOKEN)
    throw new ConfigError(["webhook and admin secrets are missing"]);
  return { ...config, WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN, ADMIN_TOKEN };
}

/**
 * The browser simulator (console): on with the sandbox outside production unless turned off. It
 * brings its own conversation clock only where that is one process's clock over sandbox
 * conversations: moving it elsewhere would move real customers' 24-hour windows.
 */
function simulatorOf(config: Config, options: StartOptions) {
  const on =
    config.SIMULATOR === "on" ||
    (config.SIMULATOR === "auto" && config.sandbox && config.NODE_ENV !== "production");
  const ownClock = on && !options.clock && config.sandbox && config.ROLE === "all";
  return { on, clock: ownClock ? createSimulatorClock() : undefined };
}

/** Content that only makes sense with the configuration: checked before anything starts. */
function checkContent(config: Config, content: Content): void {
  // Every municipality indexed now, not on the first customer's message (about 70 ms).
  for (const a of content.agents.values()) gazetteerFor(a.definition.data.cities);
  if (config.DEFAULT_AGENT && !content.agents.has(config.DEFAULT_AGENT))
    throw new ConfigError([
      `DEFAULT_AGENT: no agent "${config.DEFAULT_AGENT}" in agents/ (agents: ${[...content.agents.keys()].join(", ")})`,
    ]);
  if (config.LLM_BASE_URL && !content.prompts.has("llm.extract"))
    throw new ConfigError([
      "LLM_BASE_URL is set but prompts/ has no llm.extract prompt (the LLM's instructions)",
    ]);
}

function logStart(
  logger: Logger,
  config: Config,
  transport: WhatsAppTransport,
  content: Content,
  llm: boolean,
) {
  logger.info(
    {
      transport: transport.name,
      llm: llm ? config.LLM_MODEL : "off (degraded mode)",
      crm: config.SUPABASE_URL ? `supabase table ${config.SUPABASE_LEADS_TABLE}` : "off",
      role: config.ROLE,
      agents: [...content.agents.values()].map((a) => `${a.definition.id}@${a.hash}`),
    },
    "starting",
  );
}

/** Jobs ready to run and not taken: the queue depth metric. */
async function readyJobs(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    "select count(*)::int as n from graphile_worker.jobs where locked_at is null and run_at <= now() and attempts < max_attempts",
  );
  return rows[0]?.n ?? 0;
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
  const logger = createLogger(config.LOG_LEVEL, undefined, prettyLogs(config));
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

/** Readable log lines for a person at a terminal, JSON for everything else (LOG_FORMAT). */
function prettyLogs(config: Pick<Config, "LOG_FORMAT">): boolean {
  return config.LOG_FORMAT === "pretty" || (config.LOG_FORMAT === "auto" && process.stdout.isTTY === true);
}
