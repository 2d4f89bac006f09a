export type Bucket = { tokens: number; updatedAt: number };
export type TokenDecision = { ok: true; bucket: Bucket } | { ok: false; waitMs: number; bucket: Bucket };

/**
 * Token bucket: `capacity` tokens, refilled at one token per `intervalMs`. Pure; the caller stores
 * the bucket (in Postgres, so every replica shares it). A missing bucket starts full.
 */
export function takeToken(
  bucket: Bucket | undefined,
  now: number,
  capacity: number,
  intervalMs: number,
): TokenDecision {
  const start = bucket ?? { tokens: capacity, updatedAt: now };
  const elapsed = Math.max(0, now - start.updatedAt);
  const tokens = Math.min(capacity, start.tokens + elapsed / intervalMs);
  if (tokens >= 1) return { ok: true, bucket: { tokens: tokens - 1, updatedAt: now } };
  return { ok: false, waitMs: Math.ceil((1 - tokens) * intervalMs), bucket: { tokens, updatedAt: now } };
}
