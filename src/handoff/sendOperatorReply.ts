import type pg from "pg";
import { withTransaction } from "../db/withTransaction.ts";
import { enqueueOutboxMessage } from "../outbound/enqueueOutboxMessage.ts";
import { splitText } from "../outbound/splitText.ts";
import { LIMITS } from "../whatsapp/constants.ts";
import type { OutboundMessage } from "../whatsapp/outboundMessage.ts";

export type OperatorReplyResult =
  | { kind: "queued"; outboxIds: number[] }
  | { kind: "no_conversation" }
  | { kind: "opted_out" }
  | { kind: "no_recipient" };

/**
 * A person answers a conversation (console or admin API): the text goes through the same outbox
 * as the agent's replies (same ordering, rate limits and once-only sending), marked as written by
 * an operator. Never to a contact who opted out. The agent's state is left alone: while the
 * conversation is handed off the agent does not answer.
 */
export async function sendOperatorReply(
  pool: pg.Pool,
  conversationId: number,
  /** Free text (split at WhatsApp's limit), or an approved template for outside the 24-hour window. */
  content: string | Extract<OutboundMessage, { type: "template" }>,
  operator: string,
): Promise<OperatorReplyResult> {
  return withTransaction(pool, async (db) => {
    const { rows } = await db.query<{
      phone_number_id: string;
      recipient: string | null;
      opted_out: boolean;
      turn_id: number | null;
    }>(
      `select phone_number_id, coalesce(customer_wa_id, customer_user_id) as recipient,
              opted_out_at is not null as opted_out,
              (select max(id) from turns t where t.conversation_id = c.id) as turn_id
         from conversations c where id = $1 for update`,
      [conversationId],
    );
    const c = rows[0];
    if (!c) return { kind: "no_conversation" };
    if (c.opted_out) return { kind: "opted_out" };
    if (!c.recipient) return { kind: "no_recipient" };
    const outboxIds: number[] = [];
    const messages: OutboundMessage[] =
      typeof content === "string"
        ? splitText(content, LIMITS.textBody).map((part) => ({ type: "text", text: part }))
        : [content];
    for (const message of messages) {
      outboxIds.push(
        await enqueueOutboxMessage(db, {
          conversationId,
          turnId: c.turn_id,
          phoneNumberId: c.phone_number_id,
          recipient: c.recipient,
          message,
          proactive: false,
          author: `operator:${operator}`,
        }),
      );
    }
    return { kind: "queued", outboxIds };
  });
}
