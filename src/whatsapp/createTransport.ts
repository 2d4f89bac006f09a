import type pg from "pg";
import type { Logger } from "pino";
import type { Config } from "../config/loadConfig.ts";
import { createGraphClient } from "./createGraphClient.ts";
import { createSandboxTransport } from "./createSandboxTransport.ts";
import type { WhatsAppTransport } from "./transport.ts";

/**
 * Meta's Graph API when an access token is configured; otherwise the sandbox, which stores the
 * replies and feeds the simulator's messages back through `ingest` like webhooks.
 */
export function createTransport(
  config: Config,
  pool: pg.Pool,
  logger: Logger,
  ingest: (body: unknown) => Promise<void>,
): WhatsAppTransport {
  if (config.WHATSAPP_ACCESS_TOKEN)
    return createGraphClient({
      baseUrl: config.WHATSAPP_GRAPH_BASE_URL,
      accessToken: config.WHATSAPP_ACCESS_TOKEN,
      timeoutMs: config.GRAPH_TIMEOUT_MS,
    });
  return createSandboxTransport({ pool, logger: logger.child({ transport: "sandbox" }), ingest });
}
