import { randomBytes } from "node:crypto";
import { z } from "zod";
import { prepared } from "../db/prepared.ts";
import type { Queryable } from "../db/withTransaction.ts";
import { addJob } from "../queue/addJob.ts";
import type { TurnDeps, TurnResult } from "./turnDeps.ts";

export type ConversationRow = {
  id: number;
  /** The operator who took the conversation over (the bot stays silent), or null. */
  taken_by: string | null;
  phone_number_id: string;
  customer_wa_id: string | null;
  customer_user_id: string | null;
  agent_id: string;
  state: unknown;
};

const pendingSchema = z.array(
  z.object({
    id: z.number().int(),
    wa_message_id: z.string(),
    type: z.string(),
    text: z.string().nullable(),
    received_at: z.coerce.date(),
    sent_at: z.coerce.date(),
    /** The file's processing (bill photo, PDF, voice note): its reading, or still waiting for it. */
    media: z.object({ status: z.string(), result: z.unknown(), wait_ms: z.number() }).nullable().optional(),
  }),
);
export type PendingRow = z.infer<typeof pendingSchema>[number];

/** The conversation as the turn found it, with the lease that makes the turn its only writer. */
export type LoadedTurn = { conversation: ConversationRow; pending: PendingRow[]; lease: string };

/**
 * A file not processed after this long no longer holds the conversation: its message is answered
 * as a failed download (the job may have died without marking it).
 */
export const MEDIA_WAIT_MAX_MS = 10 * 60 * 1000;

/**
 * Stage 1 — load: one statement takes the conversation's lease (unless another turn holds a live
 * one) and reads the conversation with its unprocessed messages in Meta's timestamp order. The
 * lease is the row update itself, atomic under the row's lock: no transaction stays open.
 */
export async function loadTurn(
  deps: TurnDeps,
  conversationId: number,
): Promise<LoadedTurn | Extract<TurnResult, { kind: "busy" | "no_conversation" | "nothing_pending" }>> {
  const lease = randomBytes(12).toString("hex");
  const { rows } = await deps.pool.query<LoadRow>(
    prepared(
      `with cur as (select id, turn_lease_until from conversations where id = $1),
       upd as (
         update conversations c set turn_lease_token = $3, turn_lease_until = now() + $4::double precision * interval '1 millisecond'
          from cur where c.id = cur.id and (cur.turn_lease_until is null or cur.turn_lease_until < now())
         returning c.id)
       select exists(select 1 from upd) as ours,
              greatest(0, extract(epoch from cur.turn_lease_until - now()) * 1000)::float8 as wait_ms,
              ${CONVERSATION_COLUMNS}
         from cur join conversations c on c.id = cur.id`,
      [conversationId, `${MEDIA_WAIT_MAX_MS} milliseconds`, lease, deps.timeoutMs],
    ),
  );
  const row = rows[0];
  if (!row) return { kind: "no_conversation" };
  if (!row.ours) {
    // The turn holding it runs the messages it saw and queues a turn for whatever arrived
    // meanwhile as soon as it is done; this job also comes back when the lease ends, in case
    // that turn died.
    const delayMs = Math.ceil(row.wait_ms ?? 0) + 100;
    await addJob(
      deps.pool,
      "conversation_turn",
      { conversationId },
      { jobKey: `turn:${conversationId}`, delayMs },
    );
    return { kind: "busy" };
  }
  const pending = pendingSchema.parse(row.pending ?? []);
  if (pending.length === 0) {
    await releaseLease(deps.pool, conversationId, lease);
    return { kind: "nothing_pending" };
  }
  const { ours: _ours, wait_ms: _wait, pending: _pending, ...conversation } = row;
  return { conversation, pending, lease };
}

type LoadRow = ConversationRow & { ours: boolean; wait_ms: number | null; pending: PendingRow[] | null };

/** The conversation and its unprocessed messages (with their files' processing), as one row. */
const CONVERSATION_COLUMNS = `c.id, c.phone_number_id, c.customer_wa_id, c.customer_user_id, c.agent_id, c.state, c.taken_by,
  (select json_agg(json_build_object('id', m.id, 'wa_message_id', m.wa_message_id, 'type', m.type,
                                     'text', m.text, 'received_at', m.received_at, 'sent_at', m.sent_at,
                                     'media', case when md.id is null then null else json_build_object(
                                       'status', md.status, 'result', md.result,
                                       'wait_ms', greatest(0, extract(epoch from md.created_at + $2::interval - now()) * 1000)) end)
                   order by m.sent_at, m.id)
     from inbound_messages m left join media md on md.inbound_message_id = m.id
    where m.conversation_id = c.id and m.processed_at is null) as pending`;

/** Gives the lease back (only ours: a lease that expired and was taken by another turn stays). */
export async function releaseLease(db: Queryable, conversationId: number, lease: string): Promise<void> {
  await db.query(
    "update conversations set turn_lease_token = null, turn_lease_until = null where id = $1 and turn_lease_token = $2",
    [conversationId, lease],
  );
}
