import type { Queryable } from "../db/withTransaction.ts";
import { addJob } from "../queue/addJob.ts";
import type { OutboundMessage } from "../whatsapp/outboundMessage.ts";

/**
 * Appends one message to a conversation's outbox (next in its order) with its send job, on the
 * caller's transaction — for messages outside a turn: an operator's reply, a follow-up. Returns
 * the outbox id.
 */
export async function enqueueOutboxMessage(
  db: Queryable,
  row: {
    conversationId: number;
    /** The turn it follows (the LLM history orders by it); null before the first turn. */
    turnId: number | null;
    phoneNumberId: string;
    recipient: string;
    message: OutboundMessage;
    /** A reminder or broadcast rather than a reply: never sent to an opted-out contact. */
    proactive: boolean;
    author: string;
  },
): Promise<number> {
  const inserted = await db.query<{ id: number }>(
    `insert into outbox (conversation_id, turn_id, seq, phone_number_id, recipient, kind, payload, proactive, author)
     select $1, $2, coalesce(max(seq), 0) + 1, $3, $4, $5, $6, $7, $8 from outbox where conversation_id = $1
     returning id`,
    [
      row.conversationId,
      row.turnId,
      row.phoneNumberId,
      row.recipient,
      row.message.type,
      JSON.stringify(row.message),
      row.proactive,
      row.author,
    ],
  );
  const outboxId = inserted.rows[0]?.id;
  if (outboxId === undefined) throw new Error("outbox insert returned no id");
  await addJob(db, "send_message", { outboxId }, { jobKey: `send:${outboxId}` });
  return outboxId;
}
