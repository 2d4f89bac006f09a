import { detectIntent } from "../agents/extract/detectIntent.ts";
import { withTransaction } from "../db/withTransaction.ts";
import { addJob } from "../queue/addJob.ts";
import { type LoadedTurn, MEDIA_WAIT_MAX_MS, type PendingRow, releaseLease } from "./loadTurn.ts";
import { lockConversation } from "./lockConversation.ts";
import type { TurnDeps, TurnResult } from "./turnDeps.ts";
import type { createTrace } from "./turnTrace.ts";

/** Where the gate lets a turn through: the messages it answers now. */
export type Admitted = { kind: "admitted"; rows: PendingRow[] };

/** The pending messages up to the first file still being read (answers stay in order). */
export function admitted(all: PendingRow[]): { rows: PendingRow[]; waitMs?: number } {
  const waiting = all.findIndex((r) => r.media?.status === "pending" && r.media.wait_ms > 0);
  if (waiting === -1) return { rows: all };
  return { rows: all.slice(0, waiting), waitMs: all[waiting]?.media?.wait_ms ?? MEDIA_WAIT_MAX_MS };
}

/**
 * Stage 2 — gate: a file still being read holds its message and every later one; an operator who
 * took the conversation over gets the messages read and nothing said (an opt-out still goes
 * through). Database only, in one short transaction.
 */
export async function gateTurn(
  deps: TurnDeps,
  loaded: LoadedTurn,
  trace: ReturnType<typeof createTrace>,
  startedAt: Date,
): Promise<Admitted | Extract<TurnResult, { kind: "waiting_media" | "silenced" }>> {
  const { conversation, lease } = loaded;
  const id = conversation.id;
  const { rows, waitMs } = admitted(loaded.pending);
  const stale = rows.filter((r) => r.media?.status === "pending").map((r) => r.id);
  const optingOut = rows.some((r) => r.text && detectIntent(r.text) === "opt_out");
  const silenced = rows.length > 0 && conversation.taken_by !== null && !optingOut;
  if (rows.length > 0 && stale.length === 0 && !silenced) return { kind: "admitted", rows };
  return withTransaction(deps.pool, async (db) => {
    await lockConversation(db, id, deps.timeoutMs);
    if (rows.length === 0) {
      // Should the media job die without waking us, this turn still comes back when the file's
      // wait is over (then the message is answered as a failed download).
      await addJob(
        db,
        "conversation_turn",
        { conversationId: id },
        {
          jobKey: `turn:${id}:media`,
          delayMs: Math.ceil(waitMs ?? MEDIA_WAIT_MAX_MS) + 1000,
          maxAttempts: 10,
        },
      );
      await releaseLease(db, id, lease);
      return { kind: "waiting_media" as const };
    }
    // A file whose wait is over is answered as failed; its job, should it finish, changes nothing.
    if (stale.length > 0)
      await db.query(
        `update media set status = 'failed', reason = 'the turn stopped waiting', processed_at = now()
          where status = 'pending' and inbound_message_id = any($1::bigint[])`,
        [stale],
      );
    if (!silenced) return { kind: "admitted" as const, rows };
    const silent = await db.query<{ id: number }>(
      `with t as (
         insert into turns (conversation_id, agent_id, agent_version, inbound_ids, state_before, state_after, started_at, trace)
         select id, agent_id, agent_version, $2, state, state, $3, $4 from conversations where id = $1 returning id)
       update inbound_messages set processed_at = now(), turn_id = (select id from t) where id = any($2::bigint[])
       returning (select id from t) as id`,
      [
        id,
        rows.map((r) => r.id),
        startedAt,
        JSON.stringify(trace.finish(rows, { silencedBy: conversation.taken_by ?? "" })),
      ],
    );
    await releaseLease(db, id, lease);
    deps.logger
      .child({ conversationId: id })
      .info({ operator: conversation.taken_by }, "conversation taken over; the bot stays silent");
    return { kind: "silenced" as const, turnId: silent.rows[0]?.id ?? 0 };
  });
}
