import type { Queryable } from "../db/withTransaction.ts";

/**
 * Age of the oldest reply not yet accepted by Meta (pending or sending), in seconds; 0 when none.
 * Exposed as outbox_oldest_unsent_seconds: during an outage replies are retried for hours
 * (SEND_RETRY_FOR_MS), and this is what tells an operator they are waiting.
 */
export async function oldestUnsentSeconds(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ age: number | null }>(
    `select extract(epoch from now() - min(created_at))::float8 as age
       from outbox where status in ('pending', 'sending')`,
  );
  return Math.max(0, rows[0]?.age ?? 0);
}
