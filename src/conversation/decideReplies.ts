import type { Logger } from "pino";
import { detectIntent } from "../agents/extract/detectIntent.ts";
import { computeVars, leadDetails } from "../agents/runtime/computeVars.ts";
import { decideTurn } from "../agents/runtime/decideTurn.ts";
import { derive } from "../agents/runtime/derive.ts";
import type { Interpretation } from "../agents/runtime/interpretWithLlm.ts";
import { type MediaReading, mediaReadingSchema } from "../agents/runtime/mediaReading.ts";
import { type AgentState, type Effect, initialState } from "../agents/runtime/transition.ts";
import type { LoadedAgent } from "../content/loadContent.ts";
import { type Prompt, renderPrompt } from "../content/parsePrompt.ts";
import type { Template } from "../content/parseTemplate.ts";
import { splitText } from "../outbound/splitText.ts";
import { LIMITS } from "../whatsapp/constants.ts";
import type { OutboundMessage } from "../whatsapp/outboundMessage.ts";
import type { Answers } from "./answerQuestions.ts";
import type { PendingRow } from "./loadTurn.ts";
import { citiesOf, type Routed } from "./routeTurn.ts";

export type Decision = {
  /** The agent that ends the turn (the one handed over to, after a hand-over). */
  agent: LoadedAgent;
  after: AgentState;
  effects: Effect[];
  /** The replies in order, long texts split to WhatsApp's limit. */
  replies: OutboundMessage[];
  /** The agent's outside-window template, should the window close before the replies go out. */
  fallback?: OutboundMessage;
};

export type DecideContext = {
  agents: ReadonlyMap<string, LoadedAgent>;
  prompts: ReadonlyMap<string, Prompt>;
  templates?: ReadonlyMap<string, Template>;
  now: Date;
  log: Logger;
};

/**
 * Stage 6 — decide: the pure transition of the agent (unchanged) over the turn's messages with
 * their readings and answers; a hand-over starts the next agent in the same turn; an outcome
 * state records later answers on the lead; the reply effects become messages. No I/O.
 */
export function decideReplies(
  ctx: DecideContext,
  routed: Routed,
  rows: PendingRow[],
  reading: Interpretation | undefined,
  answers: Answers,
): Decision {
  const turnMessages = rows.map((r) => {
    const media = mediaOf(r);
    const answer = answers.byMessage.get(r.id);
    return { type: r.type, text: r.text, ...(media ? { media } : {}), ...(answer ? { answer } : {}) };
  });
  const { before, loaded } = routed;
  let agent = routed.agent;
  const cities = citiesOf(agent.definition, ctx.agents);
  const first = decideTurn(
    agent.definition,
    before,
    turnMessages,
    ctx.now,
    { cities },
    reading?.slots,
    reading?.wantsHuman ?? false,
  );
  let after = first.state;
  let decided = first.effects;
  // The agent handed the conversation over (the FAQ to the qualification): the new one starts now
  // — only if the turn ended in the hand-over state (an opt-out or a request for a person wins).
  const handOver = decided.find((e) => e.type === "switch_agent");
  const nextAgent =
    handOver?.type === "switch_agent" && agent.definition.states[after.state]?.switch_to === handOver.agent
      ? ctx.agents.get(handOver.agent)
      : undefined;
  decided = decided.filter((e) => e.type !== "switch_agent");
  if (nextAgent) {
    agent = routed.withPlans(nextAgent);
    const def = agent.definition;
    const next = { cities: citiesOf(def, ctx.agents) };
    // What the customer already told (the city) carries over to the slots the new agent has.
    const carried = Object.fromEntries(Object.entries(after.slots).filter(([slot]) => slot in def.slots));
    const start = derive(def, { ...initialState(def), slots: carried }, next);
    // What the first agent did not answer as a question (a bill, a city) is the new one's to read.
    const rest = turnMessages.filter((m) => m.media || !(m.text && detectIntent(m.text) === "question"));
    const started = decideTurn(def, start, rest, ctx.now, next);
    decided = [...decided, ...started.effects];
    after = started.state;
    ctx.log.info({ from: loaded.definition.id, to: def.id }, "conversation handed to another agent");
  }
  const effects = withOutcomeUpdate(agent, before, after, decided);
  for (const e of effects)
    if (e.type !== "reply" && e.type !== "template")
      ctx.log.info({ effect: e.type, state: after.state }, "agent effect");
  const replies = effects.flatMap((e) => messagesOf(ctx, e)).flatMap(splitLongText);
  const fallback = fallbackOf(ctx, agent, after);
  return { agent, after, effects, replies, ...(fallback ? { fallback } : {}) };
}

/** In an outcome state, later answers (holder, bill) update the lead too. */
function withOutcomeUpdate(
  agent: LoadedAgent,
  before: AgentState,
  after: AgentState,
  decided: Effect[],
): Effect[] {
  const effects = [...decided];
  const node = agent.definition.states[after.state];
  const changed =
    JSON.stringify([after.slots, after.bill, after.review]) !==
    JSON.stringify([before.slots, before.bill, before.review]);
  if (node?.outcome && !effects.some((e) => e.type === "outcome") && changed)
    effects.push({
      type: "outcome",
      outcome: node.outcome,
      slots: { ...after.slots },
      details: leadDetails(agent.definition, after),
    });
  return effects;
}

function messagesOf(ctx: DecideContext, e: Effect): OutboundMessage[] {
  if (e.type === "template") return [templateMessage(ctx.templates, e.name, e.params)];
  if (e.type !== "reply") return [];
  const prompt = ctx.prompts.get(e.prompt);
  // Content validation at start-up guarantees every referenced prompt exists.
  if (!prompt) throw new Error(`prompt ${e.prompt} not loaded`);
  const text = renderPrompt(prompt, e.vars);
  return [e.buttons ? { type: "buttons", text, buttons: e.buttons } : { type: "text", text }];
}

/** Meta rejects empty template parameters: without the values (no name yet), no fallback. */
function fallbackOf(ctx: DecideContext, agent: LoadedAgent, after: AgentState): OutboundMessage | undefined {
  const ref = agent.definition.outside_window?.template;
  if (!ref) return undefined;
  const vars = computeVars(agent.definition, after);
  const params = ref.params.map((p) => vars[p] ?? "");
  return params.every(Boolean) ? templateMessage(ctx.templates, ref.name, params) : undefined;
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

function splitLongText(message: OutboundMessage): OutboundMessage[] {
  if (message.type !== "text" || message.text.length <= LIMITS.textBody) return [message];
  return splitText(message.text, LIMITS.textBody).map((text, i) => ({
    ...message,
    text,
    ...(i > 0 ? { replyTo: undefined } : {}),
  }));
}

const MEDIA_TYPES = new Set(["image", "document", "audio"]);

/** What the media job read from a message's file; a file message without a reading failed. */
function mediaOf(row: PendingRow): MediaReading | undefined {
  if (!MEDIA_TYPES.has(row.type)) return undefined;
  if (!row.media) return { kind: "failed", reason: "no_media" };
  const parsed = mediaReadingSchema.safeParse(row.media.result);
  return parsed.success ? parsed.data : { kind: "failed", reason: `media ${row.media.status}` };
}
