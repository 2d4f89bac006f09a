/**
 * The LLM circuit breaker, as pure functions. Closed: calls go through; after `failures` failures
 * in a row it opens and new turns go straight to degraded mode; after `cooldownMs` one probe call
 * is let through (half-open): success closes it, failure opens it again.
 */
export type Breaker = { status: "closed" | "open" | "half_open"; failures: number; openedAt: number };
export type BreakerConfig = { failures: number; cooldownMs: number };

export const closedBreaker: Breaker = { status: "closed", failures: 0, openedAt: 0 };

export function beforeCall(
  b: Breaker,
  now: number,
  cfg: BreakerConfig,
): { allow: boolean; breaker: Breaker } {
  if (b.status === "closed") return { allow: true, breaker: b };
  if (b.status === "open" && now - b.openedAt >= cfg.cooldownMs) {
    return { allow: true, breaker: { ...b, status: "half_open" } };
  }
  // Open, or half-open with its one probe already in flight.
  return { allow: false, breaker: b };
}

export function afterCall(b: Breaker, ok: boolean, now: number, cfg: BreakerConfig): Breaker {
  if (ok) return closedBreaker;
  if (b.status === "half_open") return { status: "open", failures: b.failures + 1, openedAt: now };
  const failures = b.failures + 1;
  return failures >= cfg.failures ? { status: "open", failures, openedAt: now } : { ...b, failures };
}
