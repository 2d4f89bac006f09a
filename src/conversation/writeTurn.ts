import { prepared } from "../db/prepared.ts";
import { type Queryable, withTransaction } from "../db/withTransaction.ts";
import { SEND_PRIORITY } from "../queue/addJob.ts";
import type { Answers } from "./answerQuestions.ts";
import type { Decision } from "./decideReplies.ts";
import { type LoadedTurn, type PendingRow, releaseLease } from "./loadTurn.ts";
import { lockConversation } from "./lockConversation.ts";
import { recordEffects } from "./recordEffects.ts";
import type { Routed } from "./routeTurn.ts";
import { scheduleFollowUp } from "./scheduleFollowUp.ts";
import { DEFAULT_POLICY, type LlmPolicy, type TurnDeps, type TurnResult } from "./turnDeps.ts";
import type { createTrace } from "./turnTrace.ts";

export type TurnOutcome = {
  loaded: LoadedTurn;
  rows: PendingRow[];
  routed: Routed;
  decision: Decision;
  llm?: { outcome: string; usage: { promptTokens: number; completionTokens: number } };
  answers: Answers;
  startedAt: Date;
  trace: ReturnType<typeof createTrace>;
};

/**
 * Stage 7 — write, in one short transaction: the turn record, the processed marks and the new
 * state, the records of the effects, the LLM usage, the replies in the outbox with a send job each,
 * and the follow-up. Only if the turn still owns the conversation's lease and nothing it read
 * changed meanwhile (state, agent, takeover, its messages still unprocessed); otherwise "stale"
 * and the caller runs the turn again on what is there now: the decision was made on data that no
 * longer holds, so applying part of it could answer twice or out of order. Messages that arrived
 * while the turn was thinking are not part of it; they get a turn of their own right after.
 */
export async function writeTurn(
  deps: TurnDeps,
  t: TurnOutcome,
): Promise<Extract<TurnResult, { kind: "done" }> | "stale"> {
  const id = t.loaded.conversation.id;
  return withTransaction(deps.pool, async (db) => {
    await lockConversation(db, id, deps.timeoutMs);
    if (!(await stillValid(db, t))) {
      // The next run takes a fresh lease: this one must not block it.
      await releaseLease(db, id, t.loaded.lease);
      return "stale" as const;
    }
    const { agent, after, effects } = t.decision;
    const version = `${agent.definition.version}+${agent.hash}`;
    const inboundIds = t.rows.map((r) => r.id);
    const turnId = await insertTurn(db, t, version, inboundIds);
    await recordEffects(
      db,
      {
        conversationId: id,
        turnId,
        agentId: agent.definition.id,
        version,
        syncLeads: deps.syncLeads ?? false,
      },
      effects,
      deps.now(),
    );
    const usage = {
      db,
      policy: deps.llmPolicy ?? DEFAULT_POLICY,
      conversationId: id,
      turnId,
      at: deps.now(),
    };
    if (t.answers.usage.promptTokens + t.answers.usage.completionTokens > 0)
      await recordUsage(usage, "faq", t.answers.usage);
    if (t.llm) await recordUsage(usage, t.llm.outcome, t.llm.usage);
    const outbox = await writeOutbox(deps, db, t, turnId);
    const lastInbound = new Date(Math.max(...t.rows.map((r) => r.sent_at.getTime())));
    await scheduleFollowUp(db, agent.definition, after, id, lastInbound);
    t.trace.mark("write");
    // The stage timings; the lease goes back; messages that came in while this turn was thinking
    // get their turn now. One statement.
    await db.query(
      `with t as (update turns set trace = $3 where id = $4),
       r as (update conversations set turn_lease_token = null, turn_lease_until = null
              where id = $1 and turn_lease_token = $2)
       select graphile_worker.add_job('conversation_turn', json_build_object('conversationId', $1::bigint),
                                      job_key := 'turn:' || $1::text)
        where exists (select 1 from inbound_messages where conversation_id = $1 and processed_at is null)`,
      [id, t.loaded.lease, JSON.stringify(t.trace.finish(t.rows)), turnId],
    );
    return { kind: "done" as const, turnId, inbound: t.rows.length, outbox, agentVersion: version };
  });
}

/** The lease is still ours, and what the decision was made on is unchanged. */
async function stillValid(db: Queryable, t: TurnOutcome): Promise<boolean> {
  const c = t.loaded.conversation;
  const { rows } = await db.query<{ ok: boolean }>(
    `select (c.turn_lease_token = $2 and c.state is not distinct from $3::jsonb and c.agent_id = $4
             and c.taken_by is not distinct from $5
             and (select count(*) from inbound_messages m where m.id = any($6::bigint[]) and m.processed_at is null) = $7) as ok
       from conversations c where c.id = $1`,
    [
      c.id,
      t.loaded.lease,
      JSON.stringify(c.state),
      c.agent_id,
      c.taken_by,
      t.rows.map((r) => r.id),
      t.rows.length,
    ],
  );
  return rows[0]?.ok === true;
}

async function insertTurn(
  db: Queryable,
  t: TurnOutcome,
  version: string,
  inboundIds: number[],
): Promise<number> {
  const { agent, after } = t.decision;
  const turn = await db.query<{ id: number }>(
    prepared(
      `with t as (
         insert into turns (conversation_id, agent_id, agent_version, inbound_ids, state_before, state_after, started_at)
         values ($1, $2, $3, $4, $5, $6, $7) returning id),
       m as (update inbound_messages set processed_at = now(), turn_id = (select id from t) where id = any($4::bigint[])),
       c as (update conversations set state = $6, agent_id = $2, agent_version = $3, content_hash = $8,
                                     updated_at = now() where id = $1)
       select id from t`,
      [
        t.loaded.conversation.id,
        agent.definition.id,
        version,
        inboundIds,
        JSON.stringify(t.routed.before),
        JSON.stringify(after),
        t.startedAt,
        agent.hash,
      ],
    ),
  );
  const turnId = turn.rows[0]?.id;
  if (turnId === undefined) throw new Error("turn insert returned no id");
  return turnId;
}

/** The replies, in order, each with its send job: one statement. */
async function writeOutbox(deps: TurnDeps, db: Queryable, t: TurnOutcome, turnId: number): Promise<number[]> {
  const c = t.loaded.conversation;
  const recipient = c.customer_wa_id ?? c.customer_user_id;
  const { replies, fallback } = t.decision;
  if (replies.length === 0) return [];
  if (!recipient) {
    deps.logger.warn({ conversationId: c.id }, "conversation has no recipient id; replies dropped");
    return [];
  }
  const rows = await db.query<{ id: number }>(
    prepared(
      `with base as (select coalesce(max(seq), 0) as seq from outbox where conversation_id = $1),
       o as (
         insert into outbox (conversation_id, turn_id, seq, phone_number_id, recipient, kind, payload, fallback)
         select $1, $2, base.seq + r.n, $3, $4, r.kind, r.payload, case when r.kind = 'template' then null else $7::jsonb end
           from base, unnest($5::text[], $6::jsonb[]) with ordinality as r(kind, payload, n)
         returning id, seq),
       j as (
         select graphile_worker.add_jobs(array(
           select row('send_message', json_build_object('outboxId', id), null, null, null, 'send:' || id, $8::int, null)
                    ::graphile_worker.job_spec
             from o order by seq)) as added)
       select o.id from o, (select count(*) from j) x order by o.seq`,
      [
        c.id,
        turnId,
        c.phone_number_id,
        recipient,
        replies.map((m) => m.type),
        replies.map((m) => JSON.stringify(m)),
        fallback ? JSON.stringify(fallback) : null,
        SEND_PRIORITY,
      ],
    ),
  );
  return rows.rows.map((r) => r.id);
}

/** One LLM call's (or a turn's FAQ calls') tokens and cost, counted against the daily cap. */
async function recordUsage(
  turn: { db: Queryable; policy: LlmPolicy; conversationId: number; turnId: number; at: Date },
  outcome: string,
  tokens: { promptTokens: number; completionTokens: number },
): Promise<void> {
  const { policy } = turn;
  const cost =
    (tokens.promptTokens * policy.priceInputPerMTok + tokens.completionTokens * policy.priceOutputPerMTok) /
    1_000_000;
  await turn.db.query(
    `insert into llm_usage (conversation_id, turn_id, model, outcome, prompt_tokens, completion_tokens, cost_usd, at)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      turn.conversationId,
      turn.turnId,
      policy.model,
      outcome,
      tokens.promptTokens,
      tokens.completionTokens,
      cost,
      turn.at,
    ],
  );
}
