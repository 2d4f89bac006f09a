import type { Logger } from "pino";
import { answerQuestions } from "./answerQuestions.ts";
import { decideReplies } from "./decideReplies.ts";
import { gateTurn } from "./gateTurn.ts";
import { createSpendCheck, interpretTurn } from "./interpretTurn.ts";
import type { PendingRow } from "./loadTurn.ts";
import { type LoadedTurn, loadTurn, releaseLease } from "./loadTurn.ts";
import { routeTurn } from "./routeTurn.ts";
import { showTyping } from "./showTyping.ts";
import type { TurnDeps, TurnResult } from "./turnDeps.ts";
import { createTrace } from "./turnTrace.ts";
import { writeTurn } from "./writeTurn.ts";

export type { LlmPolicy, TurnDeps, TurnResult } from "./turnDeps.ts";

/**
 * Runs again when the write finds that what the turn read changed meanwhile (a takeover, a
 * follow-up, a lease that expired and was taken): past this, the job fails and is retried later.
 */
const MAX_STALE_RUNS = 3;

type Trace = ReturnType<typeof createTrace>;
type Done = Extract<TurnResult, { kind: "done" }>;

/**
 * One turn of one conversation, as a pipeline: load (take the lease, read the messages) → gate
 * (files still being read, takeover) → route (which agent, live plans) → interpret (LLM or
 * degraded) → answer questions (knowledge base) → decide (the agent's pure transition) → write
 * (state, outbox, lead, follow-up in one short transaction). No transaction, lock or pooled
 * connection is held across a network call; the lease keeps turns of one conversation one at a time.
 */
export async function runTurn(deps: TurnDeps, conversationId: number): Promise<TurnResult> {
  const log = deps.logger.child({ conversationId });
  for (let run = 1; ; run++) {
    const startedAt = deps.now();
    const trace = createTrace();
    // No "typing…" while an operator has the conversation: the bot will not answer.
    if (run === 1) await showTyping(deps, conversationId, log);
    trace.mark("typing");
    const loaded = await loadTurn(deps, conversationId);
    if (!("lease" in loaded)) return loaded;
    trace.mark("lock");
    const result = await think(deps, loaded, trace, startedAt).catch(async (err: unknown) => {
      // A failed attempt gives the conversation back at once; the job's retry starts afresh.
      await releaseLease(deps.pool, conversationId, loaded.lease).catch(() => undefined);
      throw err;
    });
    if (result.kind === "done") return finished(deps, log, startedAt, result);
    if (result.kind !== "stale") return result;
    log.warn({ run }, "what the turn read changed while it was thinking; running it again");
    if (run >= MAX_STALE_RUNS) throw new Error(`turn of conversation ${conversationId} stale ${run} times`);
  }
}

/** Gate, route, interpret, answer, decide and write one loaded turn. */
async function think(
  deps: TurnDeps,
  loaded: LoadedTurn,
  trace: Trace,
  startedAt: Date,
): Promise<Exclude<TurnResult, Done> | { kind: "stale" } | (Done & { rows: PendingRow[] })> {
  const gate = await gateTurn(deps, loaded, trace, startedAt);
  if (gate.kind !== "admitted") return gate;
  const id = loaded.conversation.id;
  const routed = await routeTurn(deps, loaded.conversation, gate.rows);
  const spendCheck = createSpendCheck(deps, id);
  const reading = await interpretTurn(deps, id, routed, spendCheck, trace);
  const answers = await answerQuestions(deps, routed, gate.rows, spendCheck, trace);
  const log = deps.logger.child({ conversationId: id });
  const templates = deps.templates ? { templates: deps.templates } : {};
  const ctx = { agents: deps.agents, prompts: deps.prompts, now: deps.now(), log, ...templates };
  const decision = decideReplies(ctx, routed, gate.rows, reading, answers);
  trace.mark("decide");
  const llm = reading ? { llm: { outcome: reading.outcome, usage: reading.usage } } : {};
  const turn = { loaded, rows: gate.rows, routed, decision, answers, startedAt, trace, ...llm };
  const written = await writeTurn(deps, turn);
  return written === "stale" ? { kind: "stale" } : { ...written, rows: gate.rows };
}

function finished(
  deps: TurnDeps,
  log: Logger,
  startedAt: Date,
  written: Done & { rows: PendingRow[] },
): Done {
  const { rows, ...result } = written;
  for (const r of rows) deps.metrics.inboxLag.observe((startedAt.getTime() - r.received_at.getTime()) / 1000);
  const seconds = (deps.now().getTime() - startedAt.getTime()) / 1000;
  deps.metrics.turnDuration.observe(seconds);
  const { turnId, agentVersion: agent, inbound, outbox } = result;
  log.info({ turnId, agent, inbound, replies: outbox.length, seconds }, "turn done");
  return result;
}
