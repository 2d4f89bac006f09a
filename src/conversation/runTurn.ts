import type pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import { detectIntent } from "../agents/extract/detectIntent.ts";
import type { AgentDefinition } from "../agents/runtime/agentDefinition.ts";
import { computeVars, leadDetails } from "../agents/runtime/computeVars.ts";
import { decideTurn, readAgentState, statesFacts } from "../agents/runtime/decideTurn.ts";
import { derive } from "../agents/runtime/derive.ts";
import type { FaqReply } from "../agents/runtime/faqReply.ts";
import {
  type HistoryLine,
  type Interpretation,
  interpretWithLlm,
} from "../agents/runtime/interpretWithLlm.ts";
import { type MediaReading, mediaReadingSchema } from "../agents/runtime/mediaReading.ts";
import { type AgentState, type Effect, initialState } from "../agents/runtime/transition.ts";
import type { LoadedAgent } from "../content/loadContent.ts";
import { type Prompt, renderPrompt } from "../content/parsePrompt.ts";
import type { Template } from "../content/parseTemplate.ts";
import { prepared } from "../db/prepared.ts";
import { withTransaction } from "../db/withTransaction.ts";
import { followUpEligible } from "../followups/followUpEligible.ts";
import { nextAllowedTime } from "../followups/quietHours.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import { splitText } from "../outbound/splitText.ts";
import { addJob } from "../queue/addJob.ts";
import { parseDuration } from "../shared/parseDuration.ts";
import type { LlmClient } from "../tools/llm/createLlmClient.ts";
import type { PlansProvider } from "../tools/plans/createPlansProvider.ts";
import { detectInjection } from "../tools/rag/detectInjection.ts";
import { LIMITS } from "../whatsapp/constants.ts";
import type { OutboundMessage } from "../whatsapp/outboundMessage.ts";
import type { WhatsAppTransport } from "../whatsapp/transport.ts";
import { lockConversation } from "./lockConversation.ts";
import { createTrace } from "./turnTrace.ts";

export type TurnDeps = {
  pool: pg.Pool;
  logger: Logger;
  agents: ReadonlyMap<string, LoadedAgent>;
  prompts: ReadonlyMap<string, Prompt>;
  /** The template registry (templates/*.yaml). */
  templates?: ReadonlyMap<string, Template>;
  /** Present when an LLM is configured; without it (or when it fails) turns run in degraded mode. */
  llm?: LlmClient;
  transport: WhatsAppTransport;
  metrics: Metrics;
  now: () => Date;
  /** Bound on one attempt; past it the transaction is abandoned and the job retried. */
  timeoutMs: number;
  /** Plans from the plans service (PLANS_API_URL); undefined: the agent's operator data. */
  plans?: PlansProvider;
  /** A CRM is configured: qualified (and needs_review) leads are queued for it. */
  syncLeads?: boolean;
  /** How much of the conversation the LLM sees, and what it may spend. */
  llmPolicy?: LlmPolicy;
  /**
   * The knowledge base (FAQ): answers questions for agents that have a `faq` section; with
   * `llm: false` (the conversation's daily cost cap is spent) from the passage alone. Returns the
   * tokens the LLM used, recorded with the turn.
   */
  answerQuestion?: (
    question: string,
    options: { llm: boolean },
  ) => Promise<{ reply: FaqReply; usage: { promptTokens: number; completionTokens: number } }>;
  /**
   * The agent a new conversation that opens with a question starts in (routing.yaml `questions`),
   * given its number and the agent routing gave it; undefined when it keeps its agent (one set
   * explicitly, or a number routed elsewhere).
   */
  questionAgent?: (phoneNumberId: string, agentId: string) => string | undefined;
};

export type LlmPolicy = {
  model: string;
  historyMessages: number;
  priceInputPerMTok: number;
  priceOutputPerMTok: number;
  dailyCapUsd: number;
};

const DEFAULT_POLICY: LlmPolicy = {
  model: "unknown",
  historyMessages: 8,
  priceInputPerMTok: 0,
  priceOutputPerMTok: 0,
  dailyCapUsd: 0,
};

export type TurnResult =
  | { kind: "no_conversation" }
  | { kind: "nothing_pending" }
  /** Every pending message waits behind a file still being downloaded or read. */
  | { kind: "waiting_media" }
  /** An operator has the conversation: the messages were read, nothing was said. */
  | { kind: "silenced"; turnId: number }
  | { kind: "done"; turnId: number; inbound: number; outbox: number[]; agentVersion: string };

type ConversationRow = {
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
type PendingRow = z.infer<typeof pendingSchema>[number];

/**
 * One turn of one conversation: lock it, take its unprocessed inbound messages in order, let the
 * agent decide, and in the same transaction store the new state, mark the messages processed and
 * write the replies to the outbox (with a send job each). It never sends a message itself.
 */
export async function runTurn(deps: TurnDeps, conversationId: number): Promise<TurnResult> {
  const startedAt = deps.now();
  const trace = createTrace();
  const log = deps.logger.child({ conversationId });
  // No "typing…" while an operator has the conversation: the bot will not answer.
  await showTyping(deps, conversationId, log);
  trace.mark("typing");
  const result = await withTransaction(deps.pool, async (db): Promise<TurnResult> => {
    // Every wait and statement of this attempt is bounded, so a stuck turn (a lock never released,
    // a hung database) fails and is retried instead of holding a worker slot forever. An advisory
    // lock, not a row lock, serialises turns of one conversation across workers and replicas:
    // webhooks keep writing to the conversation while a (long) turn runs.
    await lockConversation(db, conversationId, deps.timeoutMs);
    trace.mark("lock");
    // Read after the lock is held (a new statement, so a new snapshot): the conversation and its
    // unprocessed messages in Meta's timestamp order.
    const conv = await db.query<ConversationRow & { pending: PendingRow[] | null }>(
      prepared(
        `select c.id, c.phone_number_id, c.customer_wa_id, c.customer_user_id, c.agent_id, c.state, c.taken_by,
                (select json_agg(json_build_object('id', m.id, 'wa_message_id', m.wa_message_id, 'type', m.type,
                                                   'text', m.text, 'received_at', m.received_at,
                                                   'sent_at', m.sent_at,
                                                   'media', case when md.id is null then null else json_build_object(
                                                     'status', md.status, 'result', md.result,
                                                     'wait_ms', greatest(0, extract(epoch from md.created_at + $2::interval - now()) * 1000)) end)
                                 order by m.sent_at, m.id)
                   from inbound_messages m left join media md on md.inbound_message_id = m.id
                  where m.conversation_id = c.id and m.processed_at is null) as pending
           from conversations c where c.id = $1`,
        [conversationId, `${MEDIA_WAIT_MAX_MS} milliseconds`],
      ),
    );
    const conversation = conv.rows[0];
    if (!conversation) return { kind: "no_conversation" };
    const all = pendingSchema.parse(conversation.pending ?? []);
    if (all.length === 0) return { kind: "nothing_pending" };
    // A file still being read holds its message and every later one: answers stay in order. The
    // media job queues the turn again when it is done.
    const waiting = all.findIndex((r) => r.media?.status === "pending" && r.media.wait_ms > 0);
    const pending = { rows: waiting === -1 ? all : all.slice(0, waiting) };
    if (pending.rows.length === 0) {
      // Should the media job die without waking us, this turn still comes back when the file's
      // wait is over (then the message is answered as a failed download).
      const waitMs = all[waiting]?.media?.wait_ms ?? MEDIA_WAIT_MAX_MS;
      await addJob(
        db,
        "conversation_turn",
        { conversationId },
        { jobKey: `turn:${conversationId}:media`, delayMs: Math.ceil(waitMs) + 1000, maxAttempts: 10 },
      );
      return { kind: "waiting_media" };
    }
    // A file whose wait is over is answered as failed; its job, should it finish, changes nothing.
    const stale = pending.rows.filter((r) => r.media?.status === "pending").map((r) => r.id);
    if (stale.length > 0)
      await db.query(
        `update media set status = 'failed', reason = 'the turn stopped waiting', processed_at = now()
          where status = 'pending' and inbound_message_id = any($1::bigint[])`,
        [stale],
      );
    // An opt-out is never held back by a takeover: the agent records it (consent ledger, the
    // confirmation) even while a person has the conversation.
    const optingOut = pending.rows.some((r) => r.text && detectIntent(r.text) === "opt_out");
    if (conversation.taken_by !== null && !optingOut) {
      // An operator has the conversation: the messages are read (marked processed, so the bot does
      // not answer them later) and nothing is said; the state is left as it was.
      const silent = await db.query<{ id: number }>(
        `with t as (
           insert into turns (conversation_id, agent_id, agent_version, inbound_ids, state_before, state_after, started_at, trace)
           select id, agent_id, agent_version, $2, state, state, $3, $4 from conversations where id = $1 returning id)
         update inbound_messages set processed_at = now(), turn_id = (select id from t) where id = any($2::bigint[])
         returning (select id from t) as id`,
        [
          conversationId,
          pending.rows.map((r) => r.id),
          startedAt,
          JSON.stringify(trace.finish(pending.rows, { silencedBy: conversation.taken_by })),
        ],
      );
      log.info({ operator: conversation.taken_by }, "conversation taken over; the bot stays silent");
      return { kind: "silenced", turnId: silent.rows[0]?.id ?? 0 };
    }
    let loaded = deps.agents.get(conversation.agent_id) ?? deps.agents.values().next().value;
    if (!loaded) throw new Error("no agent loaded");
    // A conversation that opens with a question starts in the FAQ agent (routing.yaml `questions`).
    const opening = pending.rows.find(
      (r) => !loaded?.definition.silent_types.includes(r.type) && r.text?.trim(),
    );
    const questionAgentId = deps.questionAgent?.(conversation.phone_number_id, conversation.agent_id);
    const questionAgent = questionAgentId ? deps.agents.get(questionAgentId) : undefined;
    if (
      questionAgent &&
      readAgentState(loaded.definition, conversation.state).updatedAt === null &&
      opening?.text &&
      detectIntent(opening.text) === "question" &&
      !statesFacts(loaded.definition, opening.text, deps.now(), {
        cities: citiesOf(loaded.definition, deps.agents),
      })
    )
      loaded = questionAgent;
    // Live plans replace the agent's own table for this turn when the plans service answers.
    const livePlans = deps.plans ? await deps.plans() : undefined;
    const withPlans = (a: LoadedAgent): LoadedAgent =>
      livePlans
        ? { ...a, definition: { ...a.definition, data: { ...a.definition.data, plans: livePlans } } }
        : a;
    let agent = withPlans(loaded);
    const before = readAgentState(agent.definition, conversation.state);
    const texts = pending.rows.flatMap((r) =>
      !agent.definition.silent_types.includes(r.type) && r.text?.trim() ? [r.text.trim()] : [],
    );
    const systemPrompt = deps.prompts.get("llm.extract");
    const policy = deps.llmPolicy ?? DEFAULT_POLICY;
    // Today's LLM spend, read once per turn (the interpretation and the FAQ both ask).
    let spent: Promise<number> | undefined;
    const spend = () => (spent ??= spentToday(db, conversationId, deps.now()));
    const capReached = async () => policy.dailyCapUsd > 0 && (await spend()) >= policy.dailyCapUsd;
    let extracted: Interpretation["slots"] | undefined;
    let reading: Interpretation | undefined;
    if (
      deps.llm &&
      systemPrompt &&
      texts.length > 0 &&
      !before.done &&
      Object.keys(agent.definition.slots).length > 0
    ) {
      if (await capReached()) {
        log.warn(
          { spentUsd: await spend(), capUsd: policy.dailyCapUsd },
          "llm daily cost cap reached; degraded mode",
        );
      } else {
        const history = await readHistory(db, conversationId, policy.historyMessages);
        trace.mark("prepare");
        const llmStarted = Date.now();
        const allowed = agent.definition.states[before.state]?.llm_tools ?? agent.definition.llm_tools;
        reading = await interpretWithLlm(
          deps.llm,
          agent.definition,
          before,
          texts,
          systemPrompt,
          history,
          allowed,
        );
        extracted = reading.slots;
        trace.mark("llm", {
          outcome: reading.outcome,
          promptTokens: reading.usage.promptTokens,
          completionTokens: reading.usage.completionTokens,
          tools: reading.tools ?? [],
        });
        log.info(
          {
            llm: reading.outcome,
            ms: Date.now() - llmStarted,
            tokens: reading.usage,
            history: history.length,
            slots: Object.keys(reading.slots),
          },
          "llm interpretation",
        );
      }
    }
    // Questions off the script are answered from the knowledge base before the agent decides (the
    // agent stays pure: the answer comes in with the message).
    const answers = new Map<number, FaqReply>();
    // A finished conversation (hand-off, opted out for good) says nothing: nothing to look up.
    const faqUsage = { promptTokens: 0, completionTokens: 0 };
    if (deps.answerQuestion && agent.definition.faq && !(before.done && !before.resume)) {
      // Questions, and instructions aimed at the bot even without a "?" (they get the refusal).
      const questions = pending.rows.filter(
        (r) => r.text?.trim() && (detectIntent(r.text) === "question" || detectInjection(r.text)),
      );
      const capped = questions.length > 0 && (await capReached());
      if (questions.length > 0) trace.mark("prepare");
      for (const r of questions) {
        const started = Date.now();
        const { reply, usage } = await deps.answerQuestion(r.text ?? "", { llm: !capped });
        faqUsage.promptTokens += usage.promptTokens;
        faqUsage.completionTokens += usage.completionTokens;
        answers.set(r.id, reply);
        trace.mark("retrieval", {
          outcome: reply.kind,
          promptTokens: usage.promptTokens,
          completionTokens: usage.completionTokens,
        });
        log.info({ faq: reply.kind, ms: Date.now() - started, tokens: usage, capped }, "faq answer");
      }
    }
    const turnMessages = pending.rows.map((r) => {
      const media = mediaOf(r);
      const answer = answers.get(r.id);
      return { type: r.type, text: r.text, ...(media ? { media } : {}), ...(answer ? { answer } : {}) };
    });
    let { state: after, effects: decided } = decideTurn(
      agent.definition,
      before,
      turnMessages,
      deps.now(),
      { cities: citiesOf(agent.definition, deps.agents) },
      extracted,
      reading?.wantsHuman ?? false,
    );
    // The agent handed the conversation over (the FAQ to the qualification): the new one starts now
    // — only if the turn ended in the hand-over state (an opt-out or a request for a person in the
    // same turn wins).
    const handOver = decided.find((e) => e.type === "switch_agent");
    const nextAgent =
      handOver?.type === "switch_agent" && agent.definition.states[after.state]?.switch_to === handOver.agent
        ? deps.agents.get(handOver.agent)
        : undefined;
    decided = decided.filter((e) => e.type !== "switch_agent");
    if (nextAgent) {
      agent = withPlans(nextAgent);
      const def = agent.definition;
      const ctx = { cities: citiesOf(def, deps.agents) };
      // What the customer already told (the city) carries over to the slots the new agent has.
      const carried = Object.fromEntries(Object.entries(after.slots).filter(([slot]) => slot in def.slots));
      const start = derive(def, { ...initialState(def), slots: carried }, ctx);
      // What the first agent did not answer as a question (a bill, a city) is the new one's to read.
      const rest = turnMessages.filter((m) => m.media || !(m.text && detectIntent(m.text) === "question"));
      const started = decideTurn(def, start, rest, deps.now(), ctx);
      decided = [...decided, ...started.effects];
      after = started.state;
      log.info(
        { from: loaded.definition.id, to: agent.definition.id },
        "conversation handed to another agent",
      );
    }
    // In an outcome state later answers (holder, bill) update the lead too.
    const effects = [...decided];
    const outcomeNode = agent.definition.states[after.state];
    if (
      outcomeNode?.outcome &&
      !effects.some((e) => e.type === "outcome") &&
      JSON.stringify([after.slots, after.bill, after.review]) !==
        JSON.stringify([before.slots, before.bill, before.review])
    ) {
      effects.push({
        type: "outcome",
        outcome: outcomeNode.outcome,
        slots: { ...after.slots },
        details: leadDetails(agent.definition, after),
      });
    }
    const decision = {
      state: after,
      replies: effects.flatMap((e): OutboundMessage[] => {
        if (e.type === "template") return [templateMessage(deps.templates, e.name, e.params)];
        if (e.type !== "reply") return [];
        const prompt = deps.prompts.get(e.prompt);
        // Content validation at start-up guarantees every referenced prompt exists.
        if (!prompt) throw new Error(`prompt ${e.prompt} not loaded`);
        const text = renderPrompt(prompt, e.vars);
        return [e.buttons ? { type: "buttons", text, buttons: e.buttons } : { type: "text", text }];
      }),
    };
    for (const e of effects)
      if (e.type !== "reply" && e.type !== "template")
        log.info({ effect: e.type, state: after.state }, "agent effect");
    trace.mark("decide");
    const version = `${agent.definition.version}+${agent.hash}`;
    const inboundIds = pending.rows.map((r) => r.id);
    // The turn record, the processed marks and the new state: one statement.
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
          conversationId,
          agent.definition.id,
          version,
          inboundIds,
          JSON.stringify(before),
          JSON.stringify(decision.state),
          startedAt,
          agent.hash,
        ],
      ),
    );
    const turnId = turn.rows[0]?.id;
    if (turnId === undefined) throw new Error("turn insert returned no id");
    await recordEffects(
      db,
      { conversationId, turnId, agentId: agent.definition.id, version, syncLeads: deps.syncLeads ?? false },
      effects,
      deps.now(),
    );
    const usage = { db, policy, conversationId, turnId, at: deps.now() };
    if (faqUsage.promptTokens + faqUsage.completionTokens > 0) await recordUsage(usage, "faq", faqUsage);
    if (reading) await recordUsage(usage, reading.outcome, reading.usage);
    const recipient = conversation.customer_wa_id ?? conversation.customer_user_id;
    const replies = decision.replies.flatMap(splitLongText);
    // Should the window close before these go out, the agent's outside-window template replaces them.
    const fallbackRef = agent.definition.outside_window?.template;
    const fallbackVars = computeVars(agent.definition, after);
    const fallbackParams = fallbackRef?.params.map((p) => fallbackVars[p] ?? "") ?? [];
    // Meta rejects empty template parameters: without the values (no name yet), no fallback.
    const fallback =
      fallbackRef && fallbackParams.every(Boolean)
        ? templateMessage(deps.templates, fallbackRef.name, fallbackParams)
        : undefined;
    let outbox: number[] = [];
    if (recipient && replies.length > 0) {
      // The replies, in order, each with its send job: one statement.
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
               select row('send_message', json_build_object('outboxId', id), null, null, null, 'send:' || id, null, null)
                        ::graphile_worker.job_spec
                 from o order by seq)) as added)
           select o.id from o, (select count(*) from j) x order by o.seq`,
          [
            conversationId,
            turnId,
            conversation.phone_number_id,
            recipient,
            replies.map((m) => m.type),
            replies.map((m) => JSON.stringify(m)),
            fallback ? JSON.stringify(fallback) : null,
          ],
        ),
      );
      outbox = rows.rows.map((r) => r.id);
    } else if (replies.length > 0) {
      log.warn("conversation has no recipient id; replies dropped");
    }
    const lastInbound = new Date(Math.max(...pending.rows.map((r) => r.sent_at.getTime())));
    await scheduleFollowUp(db, agent.definition, after, conversationId, lastInbound);
    trace.mark("write");
    await db.query("update turns set trace = $2 where id = $1", [
      turnId,
      JSON.stringify(trace.finish(pending.rows)),
    ]);
    for (const r of pending.rows) {
      deps.metrics.inboxLag.observe((startedAt.getTime() - r.received_at.getTime()) / 1000);
    }
    return { kind: "done", turnId, inbound: pending.rows.length, outbox, agentVersion: version };
  });
  if (result.kind === "done") {
    const seconds = (deps.now().getTime() - startedAt.getTime()) / 1000;
    deps.metrics.turnDuration.observe(seconds);
    log.info(
      {
        turnId: result.turnId,
        agent: result.agentVersion,
        inbound: result.inbound,
        replies: result.outbox.length,
        seconds,
      },
      "turn done",
    );
  }
  return result;
}

/**
 * A template message from the registry with its body parameters, in order. Content validation at
 * start-up guarantees every template an agent names exists.
 */
export function templateMessage(
  templates: ReadonlyMap<string, Template> | undefined,
  name: string,
  params: readonly string[],
): Extract<OutboundMessage, { type: "template" }> {
  const template = templates?.get(name);
  if (!template) throw new Error(`template ${name} not loaded`);
  return {
    type: "template",
    name: template.name,
    language: template.language,
    components:
      params.length > 0 ? [{ type: "body", parameters: params.map((text) => ({ type: "text", text })) }] : [],
  };
}

/**
 * After every turn: arm the agent's one follow-up (its time runs from the customer's last message,
 * postponed out of quiet hours) while the conversation is eligible, cancel it when it is not. A
 * follow-up already sent is never armed again.
 */
async function scheduleFollowUp(
  db: pg.PoolClient,
  def: AgentDefinition,
  state: AgentState,
  conversationId: number,
  lastInbound: Date,
): Promise<void> {
  if (!def.follow_up) return;
  if (followUpEligible(def, state)) {
    const due = nextAllowedTime(
      new Date(lastInbound.getTime() + parseDuration(def.follow_up.after)),
      def.quiet_hours,
    );
    await db.query(
      `insert into follow_ups (conversation_id, kind, due_at) values ($1, 'reminder', $2)
       on conflict (conversation_id, kind) do update set due_at = excluded.due_at, status = 'scheduled',
              reason = null, updated_at = now()
        where follow_ups.status <> 'sent'`,
      [conversationId, due],
    );
  } else {
    await db.query(
      `update follow_ups set status = 'cancelled', reason = $2, updated_at = now()
        where conversation_id = $1 and status = 'scheduled'`,
      [conversationId, `not eligible in state ${state.state}`],
    );
  }
}

type TurnRef = {
  conversationId: number;
  turnId: number;
  agentId: string;
  version: string;
  syncLeads: boolean;
};

/** Outcomes sales wants in the CRM; a lead already sent is re-sent on any later change. */
const SYNCED_OUTCOMES = ["qualified", "needs_review"];

/**
 * The effects that are records rather than messages, in the turn's transaction: the lead with its
 * outcome and slots, the consent ledger, and the hand-off flag the console lists.
 */
async function recordEffects(db: pg.PoolClient, turn: TurnRef, effects: Effect[], at: Date): Promise<void> {
  for (const e of effects) {
    if (e.type === "outcome") {
      await db.query(
        `insert into leads (conversation_id, agent_id, agent_version, outcome, slots, details, customer_wa_id, customer_name, created_at, updated_at)
         select c.id, $2, $3, $4, $5, $7, c.customer_wa_id, c.customer_name, $6, $6 from conversations c where c.id = $1
         on conflict (conversation_id) do update
           set agent_id = excluded.agent_id, agent_version = excluded.agent_version, outcome = excluded.outcome,
               slots = excluded.slots, details = excluded.details, updated_at = excluded.updated_at`,
        [
          turn.conversationId,
          turn.agentId,
          turn.version,
          e.outcome,
          JSON.stringify(e.slots),
          at,
          JSON.stringify(e.details),
        ],
      );
      if (turn.syncLeads) {
        // Queued with the turn, so a lead is never persisted without its CRM job (outbox pattern).
        const lead = await db.query<{ id: number }>(
          `update leads set sync_status = 'pending'
            where conversation_id = $1 and (outcome = any($2::text[]) or sync_status is not null)
           returning id`,
          [turn.conversationId, SYNCED_OUTCOMES],
        );
        const leadId = lead.rows[0]?.id;
        if (leadId !== undefined)
          await addJob(
            db,
            "sync_lead",
            { leadId },
            { jobKey: `lead:${leadId}`, jobKeyMode: "replace", maxAttempts: 10 },
          );
      }
    } else if (e.type === "opt_out" || e.type === "opt_in") {
      const optedOut = e.type === "opt_out";
      await db.query(
        `with l as (insert into consent_events (conversation_id, opted_out, source, detail, turn_id, at)
                    values ($1, $5, 'keyword', $2, $3, $4))
         update conversations set opted_out_at = case when $5 then coalesce(opted_out_at, $4) end where id = $1`,
        [turn.conversationId, e.text.slice(0, 200), turn.turnId, at, optedOut],
      );
    } else if (e.type === "attention") {
      await db.query(
        "update conversations set attention_at = coalesce(attention_at, $2), attention_reason = $3 where id = $1",
        [turn.conversationId, at, `${e.reason}: ${e.text.slice(0, 200)}`],
      );
    } else if (e.type === "handoff") {
      await db.query("update conversations set handoff_at = coalesce(handoff_at, $2) where id = $1", [
        turn.conversationId,
        at,
      ]);
    }
  }
}

/** One LLM call's (or a turn's FAQ calls') tokens and cost, counted against the daily cap. */
async function recordUsage(
  turn: { db: pg.PoolClient; policy: LlmPolicy; conversationId: number; turnId: number; at: Date },
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

/** Spend of the conversation's LLM calls since midnight in São Paulo (the clock passed in). */
async function spentToday(db: pg.PoolClient, conversationId: number, now: Date): Promise<number> {
  const { rows } = await db.query<{ spent: string }>(
    `select coalesce(sum(cost_usd), 0)::text as spent from llm_usage
      where conversation_id = $1
        and at >= date_trunc('day', $2::timestamptz at time zone 'America/Sao_Paulo') at time zone 'America/Sao_Paulo'`,
    [conversationId, now],
  );
  return Number(rows[0]?.spent ?? 0);
}

/**
 * The last messages of both sides before this turn, oldest first: the LLM's bounded view of the
 * conversation. Ordered by turn (inbound before the replies it got), so the fake clock of stories
 * and Meta's timestamps never mix with the database's clock.
 */
async function readHistory(db: pg.PoolClient, conversationId: number, limit: number): Promise<HistoryLine[]> {
  if (limit <= 0) return [];
  const { rows } = await db.query<{ who: string; text: string }>(
    `select who, text from (
       select 'cliente' as who, text, turn_id, 0 as side, id from inbound_messages
        where conversation_id = $1 and processed_at is not null and text is not null and text <> ''
       union all
       select 'empresa', payload->>'text', turn_id, 1, id from outbox
        where conversation_id = $1 and payload->>'text' is not null
     ) h order by turn_id desc nulls last, side desc, id desc limit $2`,
    [conversationId, limit],
  );
  return rows
    .reverse()
    .map((r) => ({ from: r.who === "cliente" ? "cliente" : "empresa", text: r.text.slice(0, 1000) }));
}

function splitLongText(message: OutboundMessage): OutboundMessage[] {
  if (message.type !== "text" || message.text.length <= LIMITS.textBody) return [message];
  return splitText(message.text, LIMITS.textBody).map((text, i) => ({
    ...message,
    text,
    ...(i > 0 ? { replyTo: undefined } : {}),
  }));
}

/**
 * Marks the newest pending message read and shows the typing indicator while the turn runs.
 * Best effort: the customer's reply must not depend on a read receipt.
 */
async function showTyping(deps: TurnDeps, conversationId: number, log: Logger): Promise<void> {
  const { rows } = await deps.pool.query<{ wa_message_id: string; phone_number_id: string }>(
    prepared(
      `select m.wa_message_id, c.phone_number_id from inbound_messages m join conversations c on c.id = m.conversation_id
      where m.conversation_id = $1 and m.processed_at is null and m.type not in ('reaction', 'revoke', 'edit', 'system')
        and c.taken_by is null
      order by m.sent_at desc, m.id desc limit 1`,
      [conversationId],
    ),
  );
  const last = rows[0];
  if (!last) return;
  const receipt = deps.transport.markRead({
    phoneNumberId: last.phone_number_id,
    wamid: last.wa_message_id,
    typing: true,
  });
  // A slow Graph API must not hold the turn: wait briefly, then let the receipt finish on its own.
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<"slow">((resolve) => {
    timer = setTimeout(() => resolve("slow"), TYPING_WAIT_MS);
  });
  try {
    if ((await Promise.race([receipt, slow])) === "slow") {
      receipt.catch((err: unknown) => log.warn({ err: String(err) }, "mark-as-read failed"));
      log.warn({ waitedMs: TYPING_WAIT_MS }, "mark-as-read slow; turn goes on");
    }
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, "mark-as-read failed");
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A file not processed after this long no longer holds the conversation: its message is answered
 * as a failed download (the job may have died without marking it).
 */
const MEDIA_WAIT_MAX_MS = 10 * 60 * 1000;

const MEDIA_TYPES = new Set(["image", "document", "audio"]);

/**
 * The cities an agent understands: its own list, or — for an agent without one, like the FAQ — the
 * list of the agent it hands conversations to (one list of operator data, not two).
 */
function citiesOf(def: AgentDefinition, agents: ReadonlyMap<string, LoadedAgent>) {
  if (def.data.cities.length > 0) return def.data.cities;
  const target = Object.values(def.states).find((st) => st.switch_to)?.switch_to;
  return (target ? agents.get(target)?.definition.data.cities : undefined) ?? [];
}

/** What the media job read from a message's file; a file message without a reading failed. */
function mediaOf(row: PendingRow): MediaReading | undefined {
  if (!MEDIA_TYPES.has(row.type)) return undefined;
  if (!row.media) return { kind: "failed", reason: "no_media" };
  const parsed = mediaReadingSchema.safeParse(row.media.result);
  return parsed.success ? parsed.data : { kind: "failed", reason: `media ${row.media.status}` };
}

/** How long a turn waits for the read receipt / typing indicator call. */
const TYPING_WAIT_MS = 2000;
