/**
 * Wrong-password limit per address, with backoff: after `maxFailures` failures within `windowMs`,
 * the address waits `baseDelayMs` from its last failure, doubling with each further failure, at
 * most `windowMs`. Per address only: a stranger's failures never lock anyone else out. In memory
 * on purpose: a brute force against one replica is still bounded per replica, and a restart
 * forgives (the password does not change).
 */
export function createLoginLimiter(options: { maxFailures: number; windowMs: number; baseDelayMs?: number }) {
  const base = options.baseDelayMs ?? 30_000;
  const failures = new Map<string, number[]>();
  const recent = (key: string, now: number) => {
    const kept = (failures.get(key) ?? []).filter((t) => now - t < options.windowMs);
    if (kept.length > 0) failures.set(key, kept);
    else failures.delete(key);
    return kept;
  };
  return {
    /** Milliseconds the address must wait before trying again (0: it may try). */
    blockedFor(key: string, now: number): number {
      const kept = recent(key, now);
      if (kept.length < options.maxFailures) return 0;
      const wait = Math.min(options.windowMs, base * 2 ** (kept.length - options.maxFailures));
      return Math.max(0, (kept.at(-1) ?? now) + wait - now);
    },
    fail(key: string, now: number): void {
      failures.set(key, [...recent(key, now), now]);
      // Bounded memory under a spray of addresses: forget the oldest keys.
      if (failures.size > 10_000) {
        const first = failures.keys().next().value;
        if (first !== undefined) failures.delete(first);
      }
    },
    succeed(key: string): void {
      failures.delete(key);
    },
  };
}
