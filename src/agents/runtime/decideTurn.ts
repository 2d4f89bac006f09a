import { z } from "zod";
import { detectIntent } from "../extract/detectIntent.ts";
import type { AgentDefinition } from "./agentDefinition.ts";
import type { FaqReply } from "./faqReply.ts";
import type { MediaReading } from "./mediaReading.ts";
import {
  type AgentState,
  currentAsk,
  type Effect,
  initialState,
  pose,
  type SlotValue,
  type TransitionContext,
  transition,
} from "./transition.ts";

export type TurnMessage = { type: string; text: string | null; media?: MediaReading; answer?: FaqReply };

const stateSchema = z.object({
  state: z.string(),
  slots: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  misses: z.number().int(),
  done: z.boolean(),
  updatedAt: z.string().nullable(),
  inferred: z.array(z.string()).default([]),
  asked: z.array(z.string()).default([]),
  posed: z.array(z.string()).optional(),
  resume: z.string().optional(),
  billUnreadable: z.number().int().optional(),
  bill: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  review: z.string().optional(),
  confirm: z
    .object({ slot: z.string(), value: z.union([z.string(), z.number(), z.boolean()]), field: z.string() })
    .optional(),
});

/** The stored conversation state, or a fresh one when there is none (or it belongs to another agent). */
export function readAgentState(def: AgentDefinition, stored: unknown): AgentState {
  const parsed = stateSchema.safeParse(stored);
  return parsed.success && parsed.data.state in def.states ? parsed.data : initialState(def);
}

/**
 * One turn (all the messages of a burst) through the agent, purely. Messages are applied in order;
 * only the replies of the last step are kept (a question answered later in the same burst is not
 * asked), while outcomes and hand-offs all stand. On a new conversation the agent first enters its
 * initial state, and a greeting that answers nothing ("Oi") does not count as a wrong answer.
 */
export function decideTurn(
  def: AgentDefinition,
  current: AgentState,
  messages: TurnMessage[],
  now: Date,
  ctx: TransitionContext,
  /** Slots the LLM read from these messages; when present they replace the degraded extraction. */
  extracted?: Record<string, SlotValue>,
  /** The LLM read a request for a person. */
  llmWantsHuman = false,
): { state: AgentState; effects: Effect[] } {
  const isNew = current.updatedAt === null;
  let state = current;
  /** The questions the greeting put, counted as posed once the opener has been read. */
  let greeted: string[] = [];
  let replies: Effect[] = [];
  const others: Effect[] = [];
  // Messages of a step: its replies and templates, in order. A later step's replace an earlier
  // step's, except templates, which are announcements that stand (a lead qualified mid-burst).
  const isMessage = (e: Effect) => e.type === "reply" || e.type === "template";
  const take = (effects: Effect[]) => {
    const r = effects.filter(isMessage);
    if (r.length > 0) {
      const kept = replies.filter(
        (e) => e.type === "template" && !r.some((x) => x.type === "template" && x.name === e.name),
      );
      replies = [...kept, ...r];
    }
    others.push(...effects.filter((e) => !isMessage(e)));
  };
  const finish = (last: AgentState) => {
    const posed = [...new Set([...greeted, ...(last.posed ?? [])])];
    return { state: isNew ? { ...last, posed } : last, effects: [...replies, ...others] };
  };
  if (isNew) {
    const started = transition(def, state, { type: "start" }, now, ctx);
    // The greeting's question still counts as first asked: if the opener fills something, the
    // question comes with the greeting, not as a follow-up.
    state = { ...started.state, posed: [] };
    greeted = started.state.posed ?? [];
    take(started.effects);
  }
  const answerable = messages.filter((m) => !def.silent_types.includes(m.type));
  const respond = def.states[state.state]?.respond;
  if (respond && !state.done) {
    const texts = answerable.flatMap((m) => (m.text?.trim() ? [m.text.trim()] : []));
    const out: Effect[] = [];
    if (texts.length > 0)
      out.push({ type: "reply", prompt: respond.prompt, vars: { texts: texts.join(" | ") } });
    if (respond.unsupported && answerable.some((m) => !m.text?.trim())) {
      out.push({ type: "reply", prompt: respond.unsupported, vars: {} });
    }
    return { state: { ...state, updatedAt: now.toISOString() }, effects: out };
  }
  // Opt-out and asking for a person are decided by keywords first, whatever the LLM read.
  const keywordIntent = answerable.some((m) => {
    const intent = m.text ? detectIntent(m.text) : undefined;
    return intent === "opt_out" || intent === "human";
  });
  if (llmWantsHuman && !keywordIntent && !state.done && def.global.human) {
    const step = transition(def, state, { type: "human" }, now, ctx);
    take(step.effects);
    return { state: step.state, effects: [...replies, ...others] };
  }
  // A bill field waiting for "Sim"/"Não" is answered without the LLM: its yes/no is the confirmation.
  if (extracted && Object.keys(extracted).length > 0 && !keywordIntent && !state.done && !state.confirm) {
    const step = transition(def, state, { type: "extracted", slots: extracted }, now, ctx);
    state = step.state;
    take(step.effects);
    // Files are read by the media job, not the LLM, and come after what the customer said: the
    // bill beats it (and a contradiction with it is seen). A transcript was read as text above.
    for (const m of answerable) {
      if (!m.media || m.media.kind === "transcript" || state.done) continue;
      const read = transition(def, state, messageEvent(m), now, ctx);
      state = read.state;
      take(read.effects);
    }
    const asked = currentAsk(def, state);
    // Still on a question the LLM could not answer: ask it (again).
    if (!state.done && asked && replies.length === 0) {
      replies = [];
      state = pose(def, state, asked, false, replies);
    }
    return finish(state);
  }
  for (const m of answerable) {
    // A finished conversation only listens when it can resume (an opted-out customer writing again).
    if (state.done && !state.resume) break;
    // Only the very first message comes before any question; "Oi" then "Ana Souza" in one burst
    // answers the greeting's question with the second.
    const step = transition(def, state, messageEvent(m, isNew && m === answerable[0]), now, ctx);
    if (isNew && step.state.misses > state.misses && step.state.state === state.state) continue;
    state = step.state;
    take(step.effects);
  }
  return finish(state);
}

function messageEvent(m: TurnMessage, opener = false) {
  return {
    type: "message" as const,
    text: m.text,
    ...(opener ? { opener } : {}),
    messageType: m.type,
    ...(m.media ? { media: m.media } : {}),
    ...(m.answer ? { answer: m.answer } : {}),
  };
}

/**
 * Whether a new conversation's first message tells the agent something it records ("tenho uma loja
 * em Feira de Santana, vcs atendem?"): such a message starts the qualification, not the FAQ.
 */
export function statesFacts(def: AgentDefinition, text: string, now: Date, ctx: TransitionContext): boolean {
  const started = transition(def, initialState(def), { type: "start" }, now, ctx).state;
  const read = transition(def, started, { type: "message", text, opener: true }, now, ctx).state;
  return Object.keys(read.slots).some((slot) => read.slots[slot] !== started.slots[slot]);
}
