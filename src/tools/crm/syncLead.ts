import type pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import type { LeadRecord, LeadSink } from "./createSupabaseLeadSink.ts";

const leadRow = z.object({
  id: z.coerce.number(),
  conversation_id: z.coerce.number(),
  agent_id: z.string(),
  outcome: z.string(),
  slots: z.record(z.string(), z.unknown()),
  details: z.record(z.string(), z.unknown()),
  customer_wa_id: z.string().nullable(),
  created_at: z.coerce.date(),
  updated_at: z.coerce.date(),
});

const str = (v: unknown) => (typeof v === "string" ? v : null);
const num = (v: unknown) => (typeof v === "number" ? v : null);

/** The CRM row for a lead: common fields as columns, everything else as JSON. */
export function toLeadRecord(row: z.infer<typeof leadRow>): LeadRecord {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    agent_id: row.agent_id,
    outcome: row.outcome,
    wa_id: row.customer_wa_id,
    name: str(row.slots.name),
    city: str(row.slots.city),
    state: str(row.slots.state),
    distributor: str(row.slots.distributor),
    customer_type: str(row.slots.customer_type),
    monthly_bill_brl: num(row.slots.monthly_bill_brl),
    score: num(row.details.score),
    slots: row.slots,
    details: row.details,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/**
 * The `sync_lead` job: upsert the lead as it is now. Success marks it synced; a permanent error
 * marks it failed with the CRM's message (listed by GET /admin/leads?sync=failed); a retryable
 * one is recorded and thrown, so the queue retries with backoff.
 */
export async function syncLead(
  deps: { pool: pg.Pool; logger: Logger; sink: LeadSink },
  leadId: number,
): Promise<"synced" | "failed" | "gone"> {
  const { rows } = await deps.pool.query(
    `select l.id, l.conversation_id, l.agent_id, l.outcome, l.slots, l.details, c.customer_wa_id, l.created_at, l.updated_at
       from leads l join conversations c on c.id = l.conversation_id where l.id = $1`,
    [leadId],
  );
  if (!rows[0]) return "gone";
  const record = toLeadRecord(leadRow.parse(rows[0]));
  const result = await deps.sink.upsert(record);
  const log = deps.logger.child({ leadId });
  if (result.ok) {
    await deps.pool.query(
      `update leads set sync_status = 'synced', synced_at = now(), sync_error = null, sync_attempts = sync_attempts + 1
        where id = $1`,
      [leadId],
    );
    log.info("lead synced to the CRM");
    return "synced";
  }
  const error = `${result.status} ${result.code}: ${result.message}${result.hint ? ` (hint: ${result.hint})` : ""}`;
  await deps.pool.query(
    `update leads set sync_status = $2, sync_error = $3, sync_attempts = sync_attempts + 1 where id = $1`,
    [leadId, result.retryable ? "pending" : "failed", error.slice(0, 1000)],
  );
  if (result.retryable) {
    log.warn({ status: result.status, code: result.code }, "lead sync failed; the queue retries");
    throw new Error(`lead ${leadId}: CRM answered ${error}`);
  }
  log.error({ status: result.status, code: result.code, hint: result.hint }, "lead sync failed permanently");
  return "failed";
}
