import { detectIntent } from "../extract/detectIntent.ts";
import { extractEmail } from "../extract/extractContact.ts";
import { extractName } from "../extract/extractName.ts";
import { matchOption } from "../extract/matchOption.ts";
import { type City, matchCity } from "../extract/matchPlace.ts";
import { parseMoneyBrl } from "../extract/parseMoneyBrl.ts";
import { parseYesNo } from "../extract/parseYesNo.ts";
import type { AgentDefinition, SlotSpec } from "./agentDefinition.ts";
import { guards } from "./guards.ts";
import { acceptsValue } from "./validateSlot.ts";

export type SlotValue = string | number | boolean;
export type AgentState = {
  state: string;
  slots: Record<string, SlotValue>;
  /** Consecutive answers to the current question that could not be understood. */
  misses: number;
  done: boolean;
  updatedAt: string | null;
};

export type AgentEvent =
  | { type: "start" }
  | { type: "message"; text: string | null }
  /** Values the LLM extracted through function calling (already validated with zod). */
  | { type: "extracted"; slots: Record<string, SlotValue> }
  /** The LLM read a request for a person (its request_human tool). */
  | { type: "human" };

export type Button = { id: string; title: string };
export type Effect =
  /** Send the prompt rendered with vars; with buttons, as an interactive reply-button message. */
  | { type: "reply"; prompt: string; vars: Record<string, string>; buttons?: Button[] }
  /** The conversation reached an outcome: persist the lead with the slots. */
  | { type: "outcome"; outcome: string; slots: Record<string, SlotValue> }
  | { type: "handoff" }
  /** The customer asked to stop: record it in the consent ledger. */
  | { type: "opt_out"; text: string };

/** Operator data the extractors need (the city list), passed in, never read here. */
export type TransitionContext = { cities: readonly City[] };

export function initialState(def: AgentDefinition): AgentState {
  return { state: def.initial, slots: {}, misses: 0, done: false, updatedAt: null };
}

/**
 * The agent's whole decision, as a pure function: definition + state + event + time → new state +
 * effects. No I/O and no clock reads: the executor runs the effects (render and send replies,
 * record outcomes, hand off) and feeds results back as events.
 */
export function transition(
  def: AgentDefinition,
  current: AgentState,
  event: AgentEvent,
  now: Date,
  ctx: TransitionContext,
): { state: AgentState; effects: Effect[] } {
  const effects: Effect[] = [];
  let s: AgentState = { ...current, slots: { ...current.slots }, updatedAt: now.toISOString() };
  if (s.done) return { state: s, effects };
  if (event.type === "start") return settle(def, s, effects, true);
  if (event.type === "human")
    return def.global.human ? enter(def, s, def.global.human.to, effects) : { state: s, effects };

  if (event.type === "message") {
    const intent = event.text ? detectIntent(event.text) : undefined;
    if (intent === "opt_out" && def.global.opt_out) {
      effects.push({ type: "opt_out", text: event.text ?? "" });
      return enter(def, s, def.global.opt_out.to, effects);
    }
    if (intent === "human" && def.global.human) return enter(def, s, def.global.human.to, effects);
    const asked = def.states[s.state]?.ask;
    if (asked) {
      const spec = def.slots[asked.slot];
      const read = event.text ? extractSlot(spec, event.text, ctx) : undefined;
      const value = read !== undefined && acceptsValue(spec, read) ? read : undefined;
      if (value === undefined) {
        s = { ...s, misses: s.misses + 1 };
        if (s.misses >= def.max_misses && def.handoff_state) return enter(def, s, def.handoff_state, effects);
        effects.push(askEffect(def, s, true));
        return { state: s, effects };
      }
      s.slots[asked.slot] = value;
      s.misses = 0;
    }
  } else {
    for (const [slot, value] of Object.entries(event.slots)) {
      if (acceptsValue(def.slots[slot], value)) s.slots[slot] = value;
    }
  }
  return settle(def, s, effects, false);
}

/** Follows transitions until a state needs input (or is final), skipping questions already answered. */
function settle(def: AgentDefinition, s: AgentState, effects: Effect[], announce: boolean) {
  let state = s;
  let entered = announce;
  for (let hops = 0; hops < Object.keys(def.states).length + 1; hops++) {
    const node = def.states[state.state];
    if (!node) throw new Error(`unknown state ${state.state}`);
    if (node.final) return finish(def, state, effects);
    const next = node.next.find((t) => t.when.every((g) => guards[g.guard]?.(state, g.args) ?? false));
    if (next) {
      state = { ...state, state: next.to, misses: 0 };
      entered = true;
      continue;
    }
    if (entered && node.ask) effects.push(askEffect(def, state, false));
    return { state, effects };
  }
  throw new Error(`agent ${def.id}: transitions loop without asking anything`);
}

function enter(def: AgentDefinition, s: AgentState, to: string, effects: Effect[]) {
  return settle(def, { ...s, state: to, misses: 0 }, effects, true);
}

function finish(def: AgentDefinition, s: AgentState, effects: Effect[]) {
  const node = def.states[s.state];
  if (node?.say) effects.push({ type: "reply", prompt: node.say, vars: varsOf(s) });
  if (node?.outcome) effects.push({ type: "outcome", outcome: node.outcome, slots: { ...s.slots } });
  if (s.state === def.handoff_state || s.state === def.global.human?.to) effects.push({ type: "handoff" });
  return { state: { ...s, done: true }, effects };
}

/** The question of the state `s` is in (its reprompt after a miss), with buttons for a choice slot. */
export function askEffect(def: AgentDefinition, s: AgentState, again: boolean): Effect {
  const ask = def.states[s.state]?.ask;
  if (!ask) throw new Error(`state ${s.state} asks nothing`);
  const options = def.slots[ask.slot]?.options;
  return {
    type: "reply",
    prompt: again ? (ask.reprompt ?? ask.prompt) : ask.prompt,
    vars: varsOf(s),
    ...(options ? { buttons: options.map((o) => ({ id: o.id, title: o.title })) } : {}),
  };
}

function varsOf(s: AgentState): Record<string, string> {
  return Object.fromEntries(Object.entries(s.slots).map(([k, v]) => [k, String(v)]));
}

function extractSlot(
  spec: SlotSpec | undefined,
  text: string,
  ctx: TransitionContext,
): SlotValue | undefined {
  switch (spec?.type) {
    case "name":
      return extractName(text);
    case "city":
      return matchCity(text, ctx.cities)?.name;
    case "money":
      return parseMoneyBrl(text);
    case "yes_no":
      return parseYesNo(text);
    case "email":
      return extractEmail(text);
    case "text":
      return text.trim() || undefined;
    case "choice":
      return matchOption(text, spec.options ?? []);
    default:
      return undefined;
  }
}
