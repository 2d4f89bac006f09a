import type pg from "pg";
import { withTransaction } from "../db/withTransaction.ts";
import { addJob } from "../queue/addJob.ts";

/**
 * Sends a message that failed or was given up on again, attempts reset, through the same once-only
 * send job (admin API and console). Returns 0 when the message is not failed or dead.
 */
export async function retryOutboxMessage(pool: pg.Pool, outboxId: number): Promise<number> {
  return withTransaction(pool, async (db) => {
    const { rowCount } = await db.query(
      `update outbox set status = 'pending', attempts = 0, next_attempt_at = null, updated_at = now()
        where id = $1 and status in ('dead', 'failed')`,
      [outboxId],
    );
    if (rowCount) await addJob(db, "send_message", { outboxId }, { jobKey: `send:${outboxId}` });
    return rowCount ?? 0;
  });
}
