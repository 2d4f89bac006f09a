import type { Queryable } from "../db/withTransaction.ts";

/** Task names and their payloads: the queue's whole vocabulary. */
export type TaskPayloads = {
  conversation_turn: { conversationId: number };
  send_message: { outboxId: number };
  sync_lead: { leadId: number };
  erase_lead: { leadId: number };
  process_media: { mediaId: number };
};
export type TaskName = keyof TaskPayloads;

/**
 * Sends run before everything else waiting (graphile-worker takes lower priorities first): a
 * finished turn's reply never waits behind other conversations' turns. The SQL that queues sends
 * in bulk (writeTurn, storeWebhook, the outbox sweeper) passes this number too.
 */
export const SEND_PRIORITY = -10;
const PRIORITY: Partial<Record<TaskName, number>> = { send_message: SEND_PRIORITY };

export type AddJobOptions = {
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** One live job per key. */
  jobKey?: string;
  /** replace: debounce (run_at moves); preserve_run_at: the first run_at stands (bursts join it). */
  jobKeyMode?: "replace" | "preserve_run_at";
  maxAttempts?: number;
};

/**
 * Adds a graphile-worker job with plain SQL on the caller's connection, so it commits or rolls
 * back together with the rows it refers to.
 */
export async function addJob<T extends TaskName>(
  db: Queryable,
  task: T,
  payload: TaskPayloads[T],
  options: AddJobOptions = {},
): Promise<void> {
  await db.query(
    `select graphile_worker.add_job(
       $1::text, $2::json,
       run_at := now() + $3::double precision * interval '1 millisecond',
       job_key := $4::text,
       job_key_mode := $5::text,
       max_attempts := $6::int,
       priority := $7::int)`,
    [
      task,
      JSON.stringify(payload),
      options.delayMs ?? 0,
      options.jobKey ?? null,
      options.jobKey ? (options.jobKeyMode ?? "replace") : null,
      options.maxAttempts ?? 25,
      PRIORITY[task] ?? 0,
    ],
  );
}
