import type pg from "pg";
import { z } from "zod";
import { mediaReadingSchema } from "../agents/runtime/mediaReading.ts";

const detailsSchema = z.object({ review_reason: z.string().optional(), review: z.unknown().optional() });

/**
 * Leads with an outcome (the review queue: needs_review) with what a person needs to decide: the
 * reason, the slots, and the customer's latest bill — its image and the fields read from it, each
 * with the reader's confidence.
 */
export async function readReviewQueue(pool: pg.Pool, outcome: string) {
  const { rows } = await pool.query<{
    id: number;
    conversation_id: number;
    customer_name: string | null;
    outcome: string;
    slots: Record<string, unknown>;
    details: unknown;
    sync_status: string | null;
    updated_at: Date;
    media_id: number | null;
    has_bytes: boolean | null;
    result: unknown;
  }>(
    `select l.id, l.conversation_id, coalesce(c.customer_name, l.customer_name) as customer_name, l.outcome, l.slots,
            l.details, l.sync_status, l.updated_at, b.id as media_id, b.bytes is not null as has_bytes, b.result
       from leads l join conversations c on c.id = l.conversation_id
       left join lateral (
         select md.id, md.bytes, md.result from media md
          where md.conversation_id = l.conversation_id and md.result->>'kind' = 'bill'
          order by md.id desc limit 1) b on true
      where l.outcome = $1 order by l.updated_at desc limit 100`,
    [outcome],
  );
  return rows.map((r) => {
    const details = detailsSchema.safeParse(r.details);
    const reading = mediaReadingSchema.safeParse(r.result);
    const bill = reading.success && reading.data.kind === "bill" ? reading.data.fields : {};
    return {
      id: Number(r.id),
      conversationId: Number(r.conversation_id),
      customerName: r.customer_name,
      outcome: r.outcome,
      reviewReason: details.success ? (details.data.review_reason ?? null) : null,
      review: details.success ? (details.data.review ?? null) : null,
      slots: r.slots,
      bill,
      mediaUrl: r.media_id && r.has_bytes ? `/console/api/media/${r.media_id}` : null,
      syncStatus: r.sync_status,
      updatedAt: r.updated_at,
    };
  });
}
