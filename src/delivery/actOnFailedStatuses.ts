import type { Queryable } from "../db/withTransaction.ts";
import { classifyErrorCode } from "../whatsapp/graphErrors.ts";
import type { AppliedStatus } from "./applyStatusEvents.ts";
import { recordDeliveryProblems } from "./recordDeliveryProblem.ts";

/** Meta's "re-engagement message" error: the 24-hour window is closed by Meta's clock. */
export const RE_ENGAGEMENT_ERROR = 131047;

/**
 * A `failed` status webhook acts like the same failure answered by the send call (Meta usually
 * reports 131047 this way, minutes after accepting the message):
 * - 131047 with a fallback template on the row, the customer not opted out, and no other reply of
 *   the same turn already turned into that template: the row goes back to `pending` as the
 *   template, so it is sent once more through the send path (window, consent and template
 *   approval checked again there);
 * - a transient code (131000 "something went wrong", 131016 service unavailable, throughput):
 *   Meta did not deliver it, so the row goes back to `pending` and is sent again after the send
 *   path's backoff (SEND_RETRY_BASE_MS doubling per attempt, capped at SEND_RETRY_MAX_MS);
 * - anything else stays `failed`, recorded with its code; a code that says something about the
 *   customer (131026 undeliverable, 131050 stopped marketing…) is also noted on the conversation.
 * Later replies of the conversation still `pending` wait behind the row (sends go in order).
 * Returns the outbox ids given another try.
 */
export async function actOnFailedStatuses(
  db: Queryable,
  applied: AppliedStatus[],
  retry: { baseMs: number; maxMs: number; priority: number },
): Promise<number[]> {
  const failed = applied.filter((a) => a.to === "failed" && a.errorCode !== undefined);
  await recordDeliveryProblems(
    db,
    failed.map((a) => ({ outboxId: a.outboxId, code: a.errorCode })),
  );
  const fallback = failed.filter((a) => a.errorCode === RE_ENGAGEMENT_ERROR).map((a) => a.outboxId);
  const transient = failed.filter((a) => classifyErrorCode(a.errorCode) === "retry").map((a) => a.outboxId);
  if (fallback.length === 0 && transient.length === 0) return [];
  const { rows } = await db.query<{ id: number }>(
    `with fallback as (
       update outbox o set status = 'pending', payload = o.fallback, kind = 'template', fallback = null,
              attempts = 0, send_started_at = null, updated_at = now(),
              retired_wamids = o.retired_wamids || o.wamid, wamid = null
        where o.id = any($1::bigint[]) and o.status = 'failed' and o.fallback is not null
          and not exists (select 1 from conversations c where c.id = o.conversation_id and c.opted_out_at is not null)
          and not exists (select 1 from outbox t where t.turn_id = o.turn_id and t.id <> o.id
                            and t.kind = 'template' and t.error_code = ${RE_ENGAGEMENT_ERROR})
          -- Two replies of one turn failed in the same webhook: the first carries the template.
          and not exists (select 1 from outbox s where s.id = any($1::bigint[]) and s.turn_id = o.turn_id
                            and s.id < o.id and s.fallback is not null)
       returning o.id, 0 as delay_ms),
     backoff as (
       select id, least($4::bigint, $3::bigint * power(2, greatest(attempts - 1, 0))::bigint) as delay_ms
         from outbox where id = any($2::bigint[]) and status = 'failed'),
     transient as (
       update outbox o set status = 'pending', send_started_at = null, updated_at = now(),
              retired_wamids = o.retired_wamids || o.wamid, wamid = null,
              next_attempt_at = now() + b.delay_ms * interval '1 millisecond'
         from backoff b
        where o.id = b.id and o.status = 'failed'
       returning o.id, b.delay_ms),
     again as (select * from fallback union all select * from transient),
     jobs as (
       select graphile_worker.add_jobs(array(
         select row('send_message'::text, json_build_object('outboxId', id), null::text,
                    now() + delay_ms * interval '1 millisecond', null::int, 'send:' || id, $5::int, null::text[])
                  ::graphile_worker.job_spec
           from again)) as added)
     select again.id from again, (select count(*) from jobs) x`,
    [fallback, transient, retry.baseMs, retry.maxMs, retry.priority],
  );
  return rows.map((r) => r.id);
}
