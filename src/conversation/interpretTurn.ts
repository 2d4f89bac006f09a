import {
  type HistoryLine,
  type Interpretation,
  interpretWithLlm,
} from "../agents/runtime/interpretWithLlm.ts";
import type { Queryable } from "../db/withTransaction.ts";
import type { Routed } from "./routeTurn.ts";
import { DEFAULT_POLICY, type TurnDeps } from "./turnDeps.ts";
import type { createTrace } from "./turnTrace.ts";

/** Whether the conversation's LLM spend today reached its cap; asked at most once per turn. */
export function createSpendCheck(deps: TurnDeps, conversationId: number) {
  const policy = deps.llmPolicy ?? DEFAULT_POLICY;
  let spent: Promise<number> | undefined;
  let spentByAll: Promise<number> | undefined;
  const spend = () => (spent ??= spentToday(deps.pool, conversationId, deps.now()));
  const spendOfAll = () => (spentByAll ??= spentToday(deps.pool, undefined, deps.now()));
  return {
    spend,
    capReached: async () =>
      (policy.dailyCapUsd > 0 && (await spend()) >= policy.dailyCapUsd) ||
      (policy.dailyTotalCapUsd > 0 && (await spendOfAll()) >= policy.dailyTotalCapUsd),
  };
}

/**
 * Stage 4 — interpret: with an LLM configured (and the day's budget not spent), the model reads the
 * turn's texts with a bounded history and proposes slot values; otherwise nothing (degraded mode:
 * the agent's own extractors read the texts). The database is read with single pooled queries;
 * no connection is held while the model thinks.
 */
export async function interpretTurn(
  deps: TurnDeps,
  conversationId: number,
  routed: Routed,
  spendCheck: ReturnType<typeof createSpendCheck>,
  trace: ReturnType<typeof createTrace>,
): Promise<Interpretation | undefined> {
  const { agent, before, texts } = routed;
  const systemPrompt = deps.prompts.get("llm.extract");
  const policy = deps.llmPolicy ?? DEFAULT_POLICY;
  const def = agent.definition;
  if (!deps.llm || !systemPrompt || texts.length === 0 || before.done || Object.keys(def.slots).length === 0)
    return undefined;
  const log = deps.logger.child({ conversationId });
  if (await spendCheck.capReached()) {
    log.warn(
      { spentUsd: await spendCheck.spend(), capUsd: policy.dailyCapUsd },
      "llm daily cost cap reached; degraded mode",
    );
    return undefined;
  }
  const history = await readHistory(deps.pool, conversationId, policy.historyMessages);
  trace.mark("prepare");
  const started = Date.now();
  const allowed = def.states[before.state]?.llm_tools ?? def.llm_tools;
  const reading = await interpretWithLlm(deps.llm, def, before, texts, systemPrompt, history, allowed);
  trace.mark("llm", {
    outcome: reading.outcome,
    promptTokens: reading.usage.promptTokens,
    completionTokens: reading.usage.completionTokens,
    tools: reading.tools ?? [],
  });
  log.info(
    {
      llm: reading.outcome,
      ms: Date.now() - started,
      tokens: reading.usage,
      history: history.length,
      slots: Object.keys(reading.slots),
    },
    "llm interpretation",
  );
  return reading;
}

/** Spend of the conversation's LLM calls since midnight in São Paulo (the clock passed in). */
/** Today's LLM spend (America/Sao_Paulo day) of one conversation, or of all with undefined. */
async function spentToday(db: Queryable, conversationId: number | undefined, now: Date): Promise<number> {
  const { rows } = await db.query<{ spent: string }>(
    `select coalesce(sum(cost_usd), 0)::text as spent from llm_usage
      where ($1::bigint is null or conversation_id = $1)
        and at >= date_trunc('day', $2::timestamptz at time zone 'America/Sao_Paulo') at time zone 'America/Sao_Paulo'`,
    [conversationId ?? null, now],
  );
  return Number(rows[0]?.spent ?? 0);
}

/**
 * The last messages of both sides before this turn, oldest first: the LLM's bounded view of the
 * conversation. Ordered by turn (inbound before the replies it got), so the fake clock of stories
 * and Meta's timestamps never mix with the database's clock.
 */
async function readHistory(db: Queryable, conversationId: number, limit: number): Promise<HistoryLine[]> {
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
