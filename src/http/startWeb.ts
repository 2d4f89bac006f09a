import { randomBytes } from "node:crypto";
import { makeWorkerUtils } from "graphile-worker";
import type pg from "pg";
import type { Logger } from "pino";
import type { Config } from "../config/loadConfig.ts";
import { consoleRoutes } from "../console/consoleRoutes.ts";
import { createSimulator } from "../console/createSimulator.ts";
import type { createSimulatorClock } from "../console/createSimulatorClock.ts";
import type { Content } from "../content/loadContent.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import { createApp } from "./createApp.ts";
import { listen } from "./listen.ts";

export type WebParts = {
  config: Config & { WHATSAPP_APP_SECRET: string; WHATSAPP_VERIFY_TOKEN: string; ADMIN_TOKEN: string };
  pool: pg.Pool;
  logger: Logger;
  content: Content;
  metrics: Metrics;
  transportName: string;
  store: Parameters<typeof createApp>[0]["store"];
  readiness: Parameters<typeof createApp>[0]["readiness"];
  clock: () => Date;
  /** The simulator's own clock, when the simulator runs (see startService). */
  simulator: { on: boolean; clock: ReturnType<typeof createSimulatorClock> | undefined };
  mediaLimits: { maxBytes: number; allowedMimes: string[] };
  fireFollowUps: () => Promise<number>;
  syncTemplates: () => Promise<number>;
  crm: boolean;
};

/** The HTTP side: webhook, admin API, metrics and the operator console, listening on PORT. */
export async function startWeb(p: WebParts) {
  const { config, pool, logger } = p;
  let url: string | undefined;
  const retryJobs = async (ids: string[]) => {
    const utils = await makeWorkerUtils({ pgPool: pool });
    try {
      return (await utils.rescheduleJobs(ids, { runAt: new Date(), attempts: 0 })).length;
    } finally {
      await utils.release();
    }
  };
  // No password only for the local embedded default (a laptop, nobody else on the database), and
  // then only through the login link printed below.
  const loginRequired =
    config.CONSOLE_LOGIN === "required" ||
    config.DATABASE_URL !== undefined ||
    config.NODE_ENV === "production";
  const localLoginToken = loginRequired ? undefined : randomBytes(32).toString("base64url");
  const consoleApp = consoleRoutes({
    pool,
    logger,
    agents: p.content.agents,
    templates: p.content.templates,
    now: p.clock,
    transport: p.transportName,
    auth: {
      password: config.CONSOLE_PASSWORD ?? config.ADMIN_TOKEN,
      markKey: config.WHATSAPP_APP_SECRET,
      // No login only for the local embedded default: a laptop, nobody else on the database.
      loginRequired,
      localLoginToken,
      sessionHours: config.CONSOLE_SESSION_HOURS,
      maxAttempts: config.CONSOLE_LOGIN_ATTEMPTS,
      production: config.NODE_ENV === "production",
    },
    simulator: p.simulator.on
      ? createSimulator({
          pool,
          appSecret: config.WHATSAPP_APP_SECRET,
          webhookUrl: () => url ?? `http://127.0.0.1:${config.PORT}`,
          clock: p.simulator.clock,
          now: p.clock,
          limits: p.mediaLimits,
          fireFollowUps: p.fireFollowUps,
        })
      : undefined,
    crm: p.crm,
    retryJobs,
  });
  const app = createApp({
    pool,
    logger,
    metrics: p.metrics,
    appSecret: config.WHATSAPP_APP_SECRET,
    verifyToken: config.WHATSAPP_VERIFY_TOKEN,
    adminToken: config.ADMIN_TOKEN,
    maxBodyBytes: config.WEBHOOK_MAX_BODY_BYTES,
    trustProxy: trustProxySetting(config.TRUST_PROXY),
    store: p.store,
    now: () => new Date(),
    readiness: p.readiness,
    sandbox: config.sandbox,
    crm: p.crm,
    ...(config.WHATSAPP_WABA_ID ? { syncTemplates: p.syncTemplates } : {}),
    retryJobs,
    console: consoleApp.router,
  });
  const listening = await listen(app, config);
  url = listening.url;
  logger.info(
    {
      url,
      webhook: `${url}/webhook`,
      console: `${url}/console`,
      // The local default's console login (a secret only this terminal shows, as a notebook
      // server does; the fragment never reaches the server's logs or a Referer).
      ...(localLoginToken ? { consoleLogin: `${url}/console/#login=${localLoginToken}` } : {}),
      simulator: p.simulator.on,
    },
    "listening",
  );
  const stop = () => {
    consoleApp.close();
    return listening.stop();
  };
  return { url, stop };
}

/** TRUST_PROXY as express takes it: a hop count as a number, else the list as written. */
function trustProxySetting(value: string | undefined): string | number | boolean {
  if (value === undefined) return false;
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}
