import type pg from "pg";
import { withTransaction } from "../db/withTransaction.ts";
import { addJob } from "../queue/addJob.ts";
import { recordOperatorEvent } from "./recordOperatorEvent.ts";

export type ReviewDecision = {
  decision: "approve" | "reject";
  /** Corrected values (what the operator read on the bill); replace the lead's slots. */
  fields: Record<string, string>;
  note?: string | undefined;
  operator: string;
};

export type ReviewResult =
  | { kind: "reviewed"; lead: { id: number; outcome: string; slots: Record<string, unknown> } }
  | { kind: "not_in_review"; outcome: string }
  | { kind: "bad_fields"; problems: string[] }
  | { kind: "no_lead" };

/**
 * A person decides a lead the agent sent to review: approve makes it `qualified`, reject makes it
 * `rejected`. Edited fields keep their type (a number stays a number). The decision is recorded on
 * the lead and in the operator log, and the lead goes to the CRM when one is configured.
 */
export async function reviewLead(
  pool: pg.Pool,
  leadId: number,
  review: ReviewDecision,
  options: { syncLeads: boolean },
): Promise<ReviewResult> {
  return withTransaction(pool, async (db) => {
    const { rows } = await db.query<{
      outcome: string;
      slots: Record<string, unknown>;
      conversation_id: number;
    }>("select outcome, slots, conversation_id from leads where id = $1 for update", [leadId]);
    const lead = rows[0];
    if (!lead) return { kind: "no_lead" };
    if (lead.outcome !== "needs_review") return { kind: "not_in_review", outcome: lead.outcome };
    const edited = editedSlots(lead.slots, review.fields);
    if (edited.problems.length > 0) return { kind: "bad_fields", problems: edited.problems };
    const slots = { ...lead.slots, ...edited.slots };
    const outcome = review.decision === "approve" ? "qualified" : "rejected";
    const decision = {
      decision: review.decision,
      by: review.operator,
      at: new Date().toISOString(),
      note: review.note ?? null,
    };
    await db.query(
      `update leads set outcome = $2, slots = $3, details = details || jsonb_build_object('review', $4::jsonb),
              sync_status = case when $5 then 'pending' else sync_status end, updated_at = now()
        where id = $1`,
      [leadId, outcome, JSON.stringify(slots), JSON.stringify(decision), options.syncLeads],
    );
    if (options.syncLeads)
      await addJob(db, "sync_lead", { leadId }, { jobKey: `lead:${leadId}`, maxAttempts: 10 });
    await recordOperatorEvent(db, {
      conversationId: lead.conversation_id,
      leadId,
      operator: review.operator,
      action: `lead_${review.decision}`,
      detail: { fields: review.fields, note: review.note ?? null },
    });
    return { kind: "reviewed", lead: { id: leadId, outcome, slots } };
  });
}

/** Typed like the value it replaces: "1.234,56" for a number slot is a number; "sim"/"não" a boolean. Pure. */
export function editedSlots(
  current: Record<string, unknown>,
  fields: Record<string, string>,
): { slots: Record<string, unknown>; problems: string[] } {
  const slots: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [slot, raw] of Object.entries(fields)) {
    const value = raw.trim();
    const before = current[slot];
    if (typeof before === "number") {
      const n = Number(
        value
          .replace(/[R$\s]/g, "")
          .replace(/\.(?=\d{3}(\D|$))/g, "")
          .replace(",", "."),
      );
      if (value && Number.isFinite(n)) slots[slot] = n;
      else problems.push(`${slot}: "${value}" is not a number`);
    } else if (typeof before === "boolean") {
      if (/^(sim|s|yes|true)$/i.test(value)) slots[slot] = true;
      else if (/^(n[aã]o|n|no|false)$/i.test(value)) slots[slot] = false;
      else problems.push(`${slot}: answer sim or não`);
    } else if (value) slots[slot] = value;
    else problems.push(`${slot}: empty`);
  }
  return { slots, problems };
}
