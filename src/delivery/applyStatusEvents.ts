import { z } from "zod";
import type { Queryable } from "../db/withTransaction.ts";
import { advanceStatus, type OutboxStatus, outboxIdFromCallback } from "./advanceStatus.ts";

const metaErrorSchema = z.looseObject({
  code: z.number().int().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});

export type StatusUpdate = {
  wamid: string;
  status: string;
  statusAt: Date;
  callbackData: string | undefined;
  errors: unknown[] | undefined;
};

export type AppliedStatus = { outboxId: number; from: OutboxStatus; to: OutboxStatus; errorCode?: number };

/**
 * Moves outbox rows forward by delivery status events (matched by wamid or by our callback data).
 * Called by the webhook transaction and again by the sender once it learns the wamid, since a
 * status can arrive before the send's own response is stored.
 */
export async function applyStatusEvents(db: Queryable, events: StatusUpdate[]): Promise<AppliedStatus[]> {
  const applied: AppliedStatus[] = [];
  for (const e of events) {
    const byCallback = outboxIdFromCallback(e.callbackData);
    const { rows } = await db.query<{
      id: number;
      status: OutboxStatus;
      wamid: string | null;
      retired: boolean;
    }>(
      `select id, status, wamid, $1 = any(retired_wamids) as retired from outbox
        where wamid = $1 or id = $2
        order by (wamid = $1) desc nulls last limit 1
        for update`,
      [e.wamid, byCallback ?? null],
    );
    const row = rows[0];
    // About an earlier attempt of a row that was given another try: not about the current one.
    if (!row || row.retired) continue;
    const next = advanceStatus(row.status, e.status);
    if (!next) {
      if (!row.wamid) await db.query("update outbox set wamid = $2 where id = $1", [row.id, e.wamid]);
      continue;
    }
    const error = next === "failed" ? firstError(e.errors) : undefined;
    await db.query(
      `update outbox set status = $2, status_at = $3, wamid = coalesce(wamid, $4),
              sent_at = coalesce(sent_at, $3),
              error_code = coalesce($5, error_code), error_title = coalesce($6, error_title),
              error_details = coalesce($7, error_details), updated_at = now()
        where id = $1`,
      [row.id, next, e.statusAt, e.wamid, error?.code ?? null, error?.title ?? null, error?.details ?? null],
    );
    applied.push({
      outboxId: row.id,
      from: row.status,
      to: next,
      ...(error?.code ? { errorCode: error.code } : {}),
    });
  }
  return applied;
}

function firstError(errors: unknown[] | undefined) {
  const parsed = metaErrorSchema.safeParse(errors?.[0]);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  return { code: e.code, title: e.title ?? e.message, details: e.error_data?.details };
}
