import type { Logger } from "pino";
import { z } from "zod";
import type { AgentData } from "../../agents/runtime/agentDefinition.ts";

const plansSchema = z.object({
  plans: z.array(
    z.object({
      distributor: z.string(),
      discounts: z.record(z.string(), z.number().min(0).max(1)),
      loyalty_months: z.number().int().min(0).default(0),
    }),
  ),
});

export type PlansProvider = () => Promise<AgentData["plans"] | undefined>;

/**
 * Plans from an HTTP plans service (`GET PLANS_API_URL` → `{ plans: [{ distributor, discounts,
 * loyalty_months }] }`), cached for `cacheMs`. Each fetch is bounded by `timeoutMs` and retried
 * once; when the service fails (or answers something else), the last good answer is used while it
 * is fresh, else undefined — the agent's operator data applies. Never throws.
 */
export function createPlansProvider(options: {
  url: string;
  timeoutMs: number;
  cacheMs: number;
  logger: Logger;
  fetch?: typeof fetch;
  now?: () => number;
}): PlansProvider {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let cached: { plans: AgentData["plans"]; at: number } | undefined;
  const fetchOnce = async () => {
    const res = await doFetch(options.url, { signal: AbortSignal.timeout(options.timeoutMs) });
    if (!res.ok) throw new Error(`plans service answered HTTP ${res.status}`);
    return plansSchema.parse(await res.json()).plans;
  };
  return async () => {
    if (cached && now() - cached.at < options.cacheMs) return cached.plans;
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        const plans = await fetchOnce();
        cached = { plans, at: now() };
        return plans;
      } catch (err) {
        options.logger.warn(
          { attempt, err: err instanceof Error ? err.message : String(err) },
          "plans service failed",
        );
      }
    }
    options.logger.warn("plans service unavailable: using the plans in agents/ (operator data)");
    return undefined;
  };
}
