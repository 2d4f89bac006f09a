/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries from
 * many conversations after one outage do not arrive together.
 */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random);
}

/** Meta's advice for the pair rate limit (131056): wait 4^X seconds, X = 0, 1, 2, … */
export function pairLimitDelay(hits: number, maxMs: number): number {
  return Math.min(maxMs, 4 ** Math.max(0, hits - 1) * 1000);
}
