import { z } from "zod";

/** One stage of a turn on the wall clock, relative to the turn's start. */
export type TraceStage = { name: string; startMs: number; ms: number; detail?: Record<string, unknown> };

/** What a turn stores about its own timing (turns.trace), read by the turn inspector. */
export type TurnTrace = {
  /** Wall-clock start of the turn attempt that committed. */
  startedAt: string;
  /** From the earliest message's arrival (stored by the webhook) to the turn's start. */
  queueMs: number;
  stages: TraceStage[];
  /** The operator who had the conversation: the turn read the messages and said nothing. */
  silencedBy?: string;
};

/**
 * Splits a turn into consecutive stages: each mark closes the stage that began at the previous
 * mark. Wall clock on purpose: the conversation clock may be a story's or the simulator's.
 */
export function createTrace(clock: () => number = Date.now) {
  const t0 = clock();
  let last = t0;
  const stages: TraceStage[] = [];
  return {
    mark(name: string, detail?: Record<string, unknown>): void {
      const now = clock();
      stages.push({ name, startMs: last - t0, ms: now - last, ...(detail ? { detail } : {}) });
      last = now;
    },
    finish(messages: readonly { received_at: Date }[], extra: { silencedBy?: string } = {}): TurnTrace {
      const arrived = Math.min(...messages.map((m) => m.received_at.getTime()));
      return {
        startedAt: new Date(t0).toISOString(),
        queueMs: Number.isFinite(arrived) ? Math.max(0, t0 - arrived) : 0,
        stages,
        ...extra,
      };
    },
  };
}

/** turns.trace as read back (rows written before traces existed have none). */
export const turnTraceSchema = z.object({
  startedAt: z.string(),
  queueMs: z.number(),
  stages: z.array(
    z.object({
      name: z.string(),
      startMs: z.number(),
      ms: z.number(),
      detail: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  silencedBy: z.string().optional(),
});
