import type pg from "pg";

export type DeadJob = {
  id: string;
  task: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  updatedAt: Date;
};

/** Jobs that used up their attempts: graphile-worker keeps them with their last error. */
export async function listDeadJobs(pool: pg.Pool, limit = 100): Promise<DeadJob[]> {
  const { rows } = await pool.query<{
    id: string;
    task_identifier: string;
    attempts: number;
    max_attempts: number;
    last_error: string | null;
    updated_at: Date;
  }>(
    `select j.id::text as id, j.task_identifier, j.attempts, j.max_attempts, j.last_error, j.updated_at
       from graphile_worker.jobs j
      where j.attempts >= j.max_attempts and j.locked_at is null
      order by j.updated_at desc limit $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    task: r.task_identifier,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    lastError: r.last_error,
    updatedAt: r.updated_at,
  }));
}
