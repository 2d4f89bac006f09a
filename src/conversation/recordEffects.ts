import type { Effect } from "../agents/runtime/transition.ts";
import type { Queryable } from "../db/withTransaction.ts";
import { addJob } from "../queue/addJob.ts";

export type TurnRef = {
  conversationId: number;
  turnId: number;
  agentId: string;
  version: string;
  syncLeads: boolean;
};

/** Outcomes sales wants in the CRM; a lead already sent is re-sent on any later change. */
const SYNCED_OUTCOMES = ["qualified", "needs_review"];

/**
 * The effects that are records rather than messages, in the turn's transaction: the lead with its
 * outcome and slots, the consent ledger, and the hand-off flag the console lists.
 */
export async function recordEffects(
  db: Queryable,
  turn: TurnRef,
  effects: Effect[],
  at: Date,
): Promise<void> {
  for (const e of effects) {
    if (e.type === "outcome") await recordOutcome(db, turn, e, at);
    else if (e.type === "opt_out" || e.type === "opt_in") {
      const optedOut = e.type === "opt_out";
      await db.query(
        `with l as (insert into consent_events (conversation_id, opted_out, source, detail, turn_id, at)
                    values ($1, $5, 'keyword', $2, $3, $4))
         update conversations set opted_out_at = case when $5 then coalesce(opted_out_at, $4) end where id = $1`,
        [turn.conversationId, e.text.slice(0, 200), turn.turnId, at, optedOut],
      );
    } else if (e.type === "attention") {
      await db.query(
        "update conversations set attention_at = coalesce(attention_at, $2), attention_reason = $3 where id = $1",
        [turn.conversationId, at, `${e.reason}: ${e.text.slice(0, 200)}`],
      );
    } else if (e.type === "handoff") {
      await db.query("update conversations set handoff_at = coalesce(handoff_at, $2) where id = $1", [
        turn.conversationId,
        at,
      ]);
    }
  }
}

async function recordOutcome(
  db: Queryable,
  turn: TurnRef,
  e: Extract<Effect, { type: "outcome" }>,
  at: Date,
): Promise<void> {
  await db.query(
    `insert into leads (conversation_id, agent_id, agent_version, outcome, slots, details, customer_wa_id, customer_name, created_at, updated_at)
     select c.id, $2, $3, $4, $5, $7, c.customer_wa_id, c.customer_name, $6, $6 from conversations c where c.id = $1
     on conflict (conversation_id) do update
       set agent_id = excluded.agent_id, agent_version = excluded.agent_version, outcome = excluded.outcome,
           slots = excluded.slots, details = excluded.details, updated_at = excluded.updated_at`,
    [
      turn.conversationId,
      turn.agentId,
      turn.version,
      e.outcome,
      JSON.stringify(e.slots),
      at,
      JSON.stringify(e.details),
    ],
  );
  if (!turn.syncLeads) return;
  // Queued with the turn, so a lead is never persisted without its CRM job (outbox pattern).
  const lead = await db.query<{ id: number }>(
    `update leads set sync_status = 'pending'
      where conversation_id = $1 and (outcome = any($2::text[]) or sync_status is not null)
     returning id`,
    [turn.conversationId, SYNCED_OUTCOMES],
  );
  const leadId = lead.rows[0]?.id;
  if (leadId !== undefined)
    await addJob(
      db,
      "sync_lead",
      { leadId },
      { jobKey: `lead:${leadId}`, jobKeyMode: "replace", maxAttempts: 10 },
    );
}
