import { prepared } from "../db/prepared.ts";
import type { Queryable } from "../db/withTransaction.ts";

/** First key of the per-conversation advisory lock (the second is the conversation id). */
export const TURN_LOCK_NAMESPACE = 7_312_001;

/**
 * Takes the conversation's transaction-scoped advisory lock: turns, follow-ups and takeovers of one
 * conversation run one at a time across workers and replicas. With `timeoutMs`, the wait for the
 * lock and every later statement of the transaction are bounded by it.
 */
export async function lockConversation(
  db: Queryable,
  conversationId: number,
  timeoutMs?: number,
): Promise<void> {
  const key = conversationId % 2147483647;
  if (timeoutMs === undefined) {
    await db.query("select pg_advisory_xact_lock($1, $2)", [TURN_LOCK_NAMESPACE, key]);
    return;
  }
  await db.query(
    prepared(
      `select set_config('lock_timeout', $1, true), set_config('statement_timeout', $1, true),
              pg_advisory_xact_lock($2, $3)`,
      [`${timeoutMs}ms`, TURN_LOCK_NAMESPACE, key],
    ),
  );
}
