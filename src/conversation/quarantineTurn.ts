import { renderPrompt } from "../content/parsePrompt.ts";
import { withTransaction } from "../db/withTransaction.ts";
import { enqueueOutboxMessage } from "../outbound/enqueueOutboxMessage.ts";
import { lockConversation } from "./lockConversation.ts";
import type { TurnDeps } from "./turnDeps.ts";

/** Failed attempts of one turn after which its messages are set aside (see quarantineTurn). */
export const POISON_ATTEMPTS = 3;

/**
 * A turn that keeps failing (a bug, content that throws) must not hold its conversation for
 * hours, nor come back with every new message: its messages are marked processed in a turn that
 * records the failure, the conversation is flagged for a person, and the customer gets one
 * holding reply (prompts/turn_failed.md, when the content has it). Later messages run normally.
 * Returns how many messages were set aside.
 */
export async function quarantineTurn(
  deps: TurnDeps,
  conversationId: number,
  error: unknown,
): Promise<number> {
  const reason = (error instanceof Error ? error.message : String(error)).slice(0, 300);
  return withTransaction(deps.pool, async (db) => {
    await lockConversation(db, conversationId, deps.timeoutMs);
    const { rows } = await db.query<{
      turn_id: number;
      n: number;
      recipient: string | null;
      phone_number_id: string;
    }>(
      `with pending as (
         select id from inbound_messages where conversation_id = $1 and processed_at is null),
       t as (
         insert into turns (conversation_id, agent_id, agent_version, inbound_ids, state_before, state_after, started_at, trace)
         select c.id, c.agent_id, c.agent_version, array(select id from pending order by id), c.state, c.state, now(),
                json_build_object('failed', $2::text)
           from conversations c where c.id = $1 and exists (select 1 from pending)
         returning id),
       m as (
         update inbound_messages set processed_at = now(), turn_id = (select id from t)
          where id in (select id from pending) and exists (select 1 from t)),
       c as (
         update conversations set attention_at = coalesce(attention_at, now()), attention_reason = $3,
                turn_lease_token = null, turn_lease_until = null
          where id = $1 and exists (select 1 from t))
       select (select id from t) as turn_id, (select count(*) from pending)::int as n,
              coalesce(customer_wa_id, customer_user_id) as recipient, phone_number_id
         from conversations where id = $1`,
      [conversationId, reason, `turn failed: ${reason}`],
    );
    const row = rows[0];
    if (!row?.turn_id) return 0;
    const prompt = deps.prompts.get("turn.failed");
    if (prompt && row.recipient)
      await enqueueOutboxMessage(db, {
        conversationId,
        turnId: row.turn_id,
        phoneNumberId: row.phone_number_id,
        recipient: row.recipient,
        message: { type: "text", text: renderPrompt(prompt, {}) },
        proactive: false,
        author: "agent",
      });
    deps.logger.error({ conversationId, messages: row.n, reason }, "turn set aside after repeated failures");
    return row.n;
  });
}
