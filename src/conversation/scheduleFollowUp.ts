import type { AgentDefinition } from "../agents/runtime/agentDefinition.ts";
import type { AgentState } from "../agents/runtime/transition.ts";
import type { Queryable } from "../db/withTransaction.ts";
import { followUpEligible } from "../followups/followUpEligible.ts";
import { nextAllowedTime } from "../followups/quietHours.ts";
import { parseDuration } from "../shared/parseDuration.ts";

/**
 * After every turn: arm the agent's one follow-up (its time runs from the customer's last message,
 * postponed out of quiet hours) while the conversation is eligible, cancel it when it is not. A
 * follow-up already sent is never armed again.
 */
export async function scheduleFollowUp(
  db: Queryable,
  def: AgentDefinition,
  state: AgentState,
  conversationId: number,
  lastInbound: Date,
): Promise<void> {
  if (!def.follow_up) return;
  if (followUpEligible(def, state)) {
    const due = nextAllowedTime(
      new Date(lastInbound.getTime() + parseDuration(def.follow_up.after)),
      def.quiet_hours,
    );
    await db.query(
      `insert into follow_ups (conversation_id, kind, due_at) values ($1, 'reminder', $2)
       on conflict (conversation_id, kind) do update set due_at = excluded.due_at, status = 'scheduled',
              reason = null, updated_at = now()
        where follow_ups.status <> 'sent'`,
      [conversationId, due],
    );
  } else {
    await db.query(
      `update follow_ups set status = 'cancelled', reason = $2, updated_at = now()
        where conversation_id = $1 and status = 'scheduled'`,
      [conversationId, `not eligible in state ${state.state}`],
    );
  }
}
