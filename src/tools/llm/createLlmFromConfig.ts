import type { Config } from "../../config/loadConfig.ts";
import { createLlmClient, type LlmClient } from "./createLlmClient.ts";

/** The LLM client the configuration asks for (LLM_BASE_URL), or none: degraded mode. */
export function createLlmFromConfig(config: Config): LlmClient | undefined {
  if (!config.LLM_BASE_URL) return undefined;
  return createLlmClient({
    baseUrl: config.LLM_BASE_URL,
    apiKey: config.LLM_API_KEY ?? "none",
    model: config.LLM_MODEL,
    timeoutMs: config.LLM_TIMEOUT_MS,
    breaker: { failures: config.LLM_BREAKER_FAILURES, cooldownMs: config.LLM_BREAKER_COOLDOWN_MS },
    maxConcurrency: config.LLM_MAX_CONCURRENCY,
  });
}
