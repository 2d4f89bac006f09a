import type pg from "pg";
import { z } from "zod";
import { leadScore } from "../agents/runtime/computeVars.ts";
import { readAgentState } from "../agents/runtime/decideTurn.ts";
import type { LoadedAgent } from "../content/loadContent.ts";
import type { Template } from "../content/parseTemplate.ts";
import { turnTraceSchema } from "../conversation/turnTrace.ts";
import { serviceWindow } from "../outbound/decideSendPolicy.ts";
import { type InboundRow, renderInbound, renderOutbound } from "./renderMessage.ts";

export const FILTERS = ["all", "active", "handoff", "needs_review", "failed", "opted_out"] as const;
export type Filter = (typeof FILTERS)[number];

export type ViewDeps = {
  pool: pg.Pool;
  agents: ReadonlyMap<string, LoadedAgent>;
  templates: ReadonlyMap<string, Template>;
  /** The conversation clock (the simulator's when it is on): the window is judged on it. */
  now: () => Date;
};

const looseState = z.object({
  state: z.string().default("?"),
  slots: z.record(z.string(), z.unknown()).default({}),
  done: z.boolean().default(false),
});
const stateOf = (raw: unknown) => {
  const parsed = looseState.safeParse(raw);
  return parsed.success ? parsed.data : { state: "?", slots: {}, done: false };
};

/**
 * Conversation summaries: the conversations are picked first (filter, order, limit), then each gets
 * its lead, failure flag and last message — so the per-row lookups run 200 times, not once per
 * conversation in the database.
 */
const summarySql = (where: string, limit: string) => `
  with picked as (
    select c.id from conversations c left join leads l on l.conversation_id = c.id
     where c.customer_key not like 'erased:%' and ${where}
     order by greatest(c.updated_at, c.last_inbound_at) desc nulls last, c.id desc limit ${limit})
  select c.id, c.customer_name, coalesce(c.customer_wa_id, c.customer_user_id) as customer, c.agent_id, c.state,
         c.handoff_at is not null as handoff, c.taken_by, c.opted_out_at is not null as opted_out,
         c.last_inbound_at, c.updated_at, l.outcome, l.id as lead_id, c.delivery_problem,
         exists (select 1 from outbox o where o.conversation_id = c.id and o.status in ('failed', 'dead')) as failed,
         last.direction, last.text, last.at
    from picked p
    join conversations c on c.id = p.id
    left join leads l on l.conversation_id = c.id
    left join lateral (
      select * from (
        (select 'in' as direction, m.text, m.received_at as at from inbound_messages m
          where m.conversation_id = c.id order by m.id desc limit 1)
        union all
        (select 'out', coalesce(o.payload->>'text', o.payload->>'name'), o.created_at from outbox o
          where o.conversation_id = c.id order by o.seq desc limit 1)) x
      order by at desc limit 1) last on true
   order by greatest(c.updated_at, c.last_inbound_at) desc nulls last, c.id desc`;

const FILTER_SQL: Record<Filter, string> = {
  all: "true",
  active:
    "coalesce((c.state->>'done')::boolean, false) = false and c.opted_out_at is null and c.handoff_at is null and c.taken_by is null",
  handoff: "(c.handoff_at is not null or c.taken_by is not null)",
  needs_review: "l.outcome = 'needs_review'",
  failed: "exists (select 1 from outbox o where o.conversation_id = c.id and o.status in ('failed', 'dead'))",
  opted_out: "c.opted_out_at is not null",
};

type SummaryRow = {
  id: number;
  customer_name: string | null;
  customer: string | null;
  agent_id: string;
  state: unknown;
  handoff: boolean;
  taken_by: string | null;
  opted_out: boolean;
  last_inbound_at: Date | null;
  updated_at: Date;
  outcome: string | null;
  lead_id: number | null;
  failed: boolean;
  delivery_problem: string | null;
  direction: string | null;
  text: string | null;
  at: Date | null;
};

function summary(row: SummaryRow, now: Date) {
  const s = stateOf(row.state);
  return {
    id: Number(row.id),
    customerName: row.customer_name,
    customer: row.customer,
    agentId: row.agent_id,
    state: s.state,
    done: s.done,
    outcome: row.outcome,
    handoff: row.handoff,
    takenBy: row.taken_by,
    optedOut: row.opted_out,
    failed: row.failed,
    deliveryProblem: row.delivery_problem,
    needsReview: row.outcome === "needs_review",
    lastMessage: row.direction ? { direction: row.direction, text: row.text, at: row.at } : null,
    window: serviceWindow(row.last_inbound_at, now),
    updatedAt: row.updated_at,
  };
}

export async function listConversations(deps: ViewDeps, filter: Filter, customer?: string) {
  const { rows } = await deps.pool.query<SummaryRow>(
    summarySql(
      `${FILTER_SQL[filter]} and ($1::text is null or c.customer_wa_id = $1 or c.customer_user_id = $1)`,
      "200",
    ),
    [customer ?? null],
  );
  const now = deps.now();
  return rows.map((r) => summary(r, now));
}

export async function readConversation(deps: ViewDeps, id: number) {
  const found = await deps.pool.query<SummaryRow>(summarySql("c.id = $1", "1"), [id]);
  const row = found.rows[0];
  if (!row) return undefined;
  const now = deps.now();
  const s = stateOf(row.state);
  const score = scoreOf(deps, row.agent_id, row.state);
  const lead = row.lead_id
    ? (
        await deps.pool.query("select id, outcome, details, sync_status from leads where id = $1", [
          row.lead_id,
        ])
      ).rows[0]
    : null;
  const inbound = await deps.pool.query<
    InboundRow & {
      id: number;
      wa_message_id: string;
      received_at: Date;
      processed_at: Date | null;
      turn_id: number | null;
    }
  >(
    `select m.id, m.wa_message_id, m.type, m.text, m.body, m.received_at, m.processed_at, m.turn_id,
            case when md.id is null then null else json_build_object('id', md.id, 'status', md.status,
              'reason', md.reason, 'result', md.result, 'has_bytes', md.bytes is not null) end as media
       from inbound_messages m left join media md on md.inbound_message_id = m.id
      where m.conversation_id = $1 order by m.id desc limit 300`,
    [id],
  );
  const outbound = await deps.pool.query<{
    id: number;
    payload: unknown;
    status: string;
    author: string;
    wamid: string | null;
    turn_id: number | null;
    created_at: Date;
    error_title: string | null;
    dropped_reason: string | null;
  }>(
    `select id, payload, status, author, wamid, turn_id, created_at, error_title, dropped_reason
       from outbox where conversation_id = $1 order by seq desc limit 300`,
    [id],
  );
  const messages = [
    ...inbound.rows.map((m) => ({
      id: `in:${m.id}`,
      direction: "in" as const,
      at: m.received_at,
      author: "customer",
      status: m.processed_at ? "processed" : "received",
      error: null,
      render: renderInbound(m),
      wamid: m.wa_message_id,
      turnId: m.turn_id,
    })),
    ...outbound.rows.map((o) => ({
      id: `out:${o.id}`,
      direction: "out" as const,
      at: o.created_at,
      author: o.author,
      status: o.status,
      error: o.error_title ?? o.dropped_reason,
      render: renderOutbound(o.payload, deps.templates),
      wamid: o.wamid,
      turnId: o.turn_id,
    })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime() || a.id.localeCompare(b.id));
  return {
    conversation: { ...summary(row, now), slots: s.slots, score, lead },
    messages,
    now,
  };
}

/** The turns of a conversation with their stage timelines (the turn inspector). */
export async function readTurns(deps: ViewDeps, id: number) {
  const { rows } = await deps.pool.query<{
    id: number;
    agent_id: string;
    state_before: unknown;
    state_after: unknown;
    started_at: Date;
    finished_at: Date;
    trace: unknown;
    inbound: { id: number; type: string; text: string | null; received_at: string }[] | null;
    media: { kind: string; created_at: string; processed_at: string | null; status: string }[] | null;
    sends: { id: number; created_at: string; sent_at: string | null; status: string; kind: string }[] | null;
  }>(
    `select t.id, t.agent_id, t.state_before, t.state_after, t.started_at, t.finished_at, t.trace,
            (select json_agg(json_build_object('id', m.id, 'type', m.type, 'text', m.text, 'received_at', m.received_at) order by m.id)
               from inbound_messages m where m.id = any(t.inbound_ids)) as inbound,
            (select json_agg(json_build_object('kind', md.kind, 'created_at', md.created_at,
                    'processed_at', md.processed_at, 'status', md.status) order by md.id)
               from media md where md.inbound_message_id = any(t.inbound_ids)) as media,
            (select json_agg(json_build_object('id', o.id, 'created_at', o.created_at, 'sent_at', o.sent_at,
                    'status', o.status, 'kind', o.kind) order by o.seq)
               from outbox o where o.turn_id = t.id and o.author = 'agent') as sends
       from turns t where t.conversation_id = $1 order by t.id desc limit 50`,
    [id],
  );
  return rows.map((t) => {
    const score = scoreOf(deps, t.agent_id, t.state_after);
    const parsed = turnTraceSchema.safeParse(t.trace);
    const trace = parsed.success ? parsed.data : undefined;
    // The common axis: the first message's arrival. OCR and sends come from their own rows.
    const inbound = t.inbound ?? [];
    const origin = Math.min(...inbound.map((m) => Date.parse(m.received_at)), t.started_at.getTime());
    const turnStart = trace ? Date.parse(trace.startedAt) : t.started_at.getTime();
    const stages: { name: string; startMs: number; ms: number; detail: string }[] = [];
    if (trace) stages.push({ name: "queue", startMs: 0, ms: Math.max(0, turnStart - origin), detail: "" });
    for (const m of t.media ?? []) {
      if (!m.processed_at) continue;
      const start = Date.parse(m.created_at);
      stages.push({
        name: "ocr",
        startMs: start - origin,
        ms: Date.parse(m.processed_at) - start,
        detail: `${m.kind} ${m.status}`,
      });
    }
    for (const s of trace?.stages ?? []) {
      if (s.ms < 1 && (s.name === "prepare" || s.name === "lock" || s.name === "typing")) continue;
      stages.push({
        name: s.name,
        startMs: turnStart - origin + s.startMs,
        ms: s.ms,
        detail: describe(s.detail),
      });
    }
    for (const o of t.sends ?? []) {
      const start = Date.parse(o.created_at);
      stages.push({
        name: "send",
        startMs: start - origin,
        ms: o.sent_at ? Date.parse(o.sent_at) - start : 0,
        detail: `${o.kind} ${o.status}`,
      });
    }
    const before = stateOf(t.state_before);
    const after = stateOf(t.state_after);
    return {
      id: Number(t.id),
      startedAt: t.started_at,
      finishedAt: t.finished_at,
      agentId: t.agent_id,
      stateBefore: before,
      stateAfter: after,
      score,
      silencedBy: trace?.silencedBy ?? null,
      inbound: inbound.map((m) => ({ id: m.id, type: m.type, text: m.text })),
      stages,
      totalMs: Math.max(0, ...stages.map((s) => s.startMs + s.ms)),
    };
  });
}

/** The lead score of a stored agent state (null when its agent is no longer loaded or scores nothing). */
function scoreOf(deps: ViewDeps, agentId: string, state: unknown): number | null {
  const agent = deps.agents.get(agentId);
  return (agent && leadScore(agent.definition.data, readAgentState(agent.definition, state))) ?? null;
}

function describe(detail: Record<string, unknown> | undefined): string {
  if (!detail) return "";
  const parts: string[] = [];
  if (typeof detail.outcome === "string") parts.push(detail.outcome);
  if (typeof detail.promptTokens === "number" && typeof detail.completionTokens === "number")
    parts.push(`${detail.promptTokens} in / ${detail.completionTokens} out tokens`);
  if (Array.isArray(detail.tools) && detail.tools.length > 0) parts.push(`tools: ${detail.tools.join(", ")}`);
  return parts.join(" · ");
}
