import type { Queryable } from "../db/withTransaction.ts";

export type OperatorEvent = {
  conversationId: number;
  leadId?: number;
  operator: string;
  /** take_over, give_back, reply, lead_approve, lead_reject, erase_contact */
  action: string;
  detail?: Record<string, unknown>;
};

/** What an operator did, for the history and the audit trail (operator_events). */
export async function recordOperatorEvent(db: Queryable, event: OperatorEvent): Promise<void> {
  await db.query(
    "insert into operator_events (conversation_id, lead_id, operator, action, detail) values ($1, $2, $3, $4, $5)",
    [
      event.conversationId,
      event.leadId ?? null,
      event.operator,
      event.action,
      JSON.stringify(event.detail ?? {}),
    ],
  );
}
