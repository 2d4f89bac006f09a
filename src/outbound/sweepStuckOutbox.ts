import type { Queryable } from "../db/withTransaction.ts";
import { SEND_PRIORITY } from "../queue/addJob.ts";

/**
 * The safety net under once-in-order sending: the first unsent row of each conversation must have
 * a send job. A row whose wake-up was lost (a crash between two transactions, a race the claim did
 * not see) gets one here. Returns how many were rescued: a number that should stay at zero.
 */
export async function sweepStuckOutbox(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `with heads as (
       select distinct on (o.conversation_id) o.id, o.status
         from outbox o where o.status in ('pending', 'sending')
        order by o.conversation_id, o.seq),
     stuck as (
       select h.id from heads h
        where h.status = 'pending'
          and not exists (select 1 from graphile_worker.jobs j where j.key = 'send:' || h.id))
     select count(*)::int as n from stuck,
       lateral (select graphile_worker.add_job('send_message', json_build_object('outboxId', stuck.id),
                                               job_key := 'send:' || stuck.id, priority := $1::int)) j`,
    [SEND_PRIORITY],
  );
  return rows[0]?.n ?? 0;
}
