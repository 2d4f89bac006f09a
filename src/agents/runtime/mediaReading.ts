import { z } from "zod";

const confidence = z.enum(["high", "medium", "low"]);

/**
 * What the media job made of a customer's file, as the turn reads it back from `media.result`:
 * a bill reading (fields with confidences, and why key fields are missing), a refusal before
 * reading (too big, a type we do not read), a failure, or a voice note left untranscribed.
 */
export const mediaReadingSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("bill"),
    isBill: z.boolean(),
    fields: z.record(
      z.string(),
      z.object({ value: z.union([z.string(), z.number(), z.array(z.number())]), confidence }),
    ),
    problems: z.array(z.string()).default([]),
  }),
  z.object({ kind: z.literal("refused"), reason: z.string() }),
  z.object({ kind: z.literal("failed"), reason: z.string() }),
  z.object({ kind: z.literal("voice"), reason: z.string() }),
  /** A voice note whose transcript became the message text. */
  z.object({ kind: z.literal("transcript"), text: z.string() }),
]);
export type MediaReading = z.infer<typeof mediaReadingSchema>;
export type BillReadingEvent = Extract<MediaReading, { kind: "bill" }>;
