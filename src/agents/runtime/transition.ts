import { matchKnownDistributor } from "../extract/brazilianDistributors.ts";
import { gazetteerFor } from "../extract/createGazetteer.ts";
import { detectIntent } from "../extract/detectIntent.ts";
import { extractEmail } from "../extract/extractContact.ts";
import {
  findStatedName,
  type NameReading,
  readNameAnswer,
  withoutPlaceTail,
} from "../extract/extractName.ts";
import { matchDistributor, matchDistributorGroup, mentionLength } from "../extract/matchDistributor.ts";
import { matchOption } from "../extract/matchOption.ts";
import { type City, isKnownPlace, matchUf } from "../extract/matchPlace.ts";
import { normalizeText, normalizeWords } from "../extract/normalizeText.ts";
import { parseMoneyBrl } from "../extract/parseMoneyBrl.ts";
import { parseYesNo } from "../extract/parseYesNo.ts";
import { readAccountHolder } from "../extract/readAccountHolder.ts";
import { type PlaceReading, readPlace } from "../extract/readPlace.ts";
import type { AgentDefinition, AskDefinition, SlotSpec } from "./agentDefinition.ts";
import { computeVars, leadDetails } from "./computeVars.ts";
import { derive } from "./derive.ts";
import type { FaqReply } from "./faqReply.ts";
import { allHold } from "./guards.ts";
import type { MediaReading } from "./mediaReading.ts";
import { contradiction, planBill } from "./planBill.ts";
import { acceptsValue } from "./validateSlot.ts";

export type SlotValue = string | number | boolean;
export type AgentState = {
  state: string;
  slots: Record<string, SlotValue>;
  /** Consecutive answers to the current question that could not be understood. */
  misses: number;
  done: boolean;
  updatedAt: string | null;
  /** Slots filled by inference (the distributor from the city): a stated value replaces them. */
  inferred: string[];
  /** Optional questions already asked in this state (never asked twice). */
  asked: string[];
  /** Questions put to the customer at least once (asked again, they read as a follow-up). */
  posed?: string[];
  /** Where an opted-out conversation resumes when the customer writes again. */
  resume?: string;
  /** Bills received that could not be read (reset by a readable one). */
  billUnreadable?: number;
  /** The last bill's fields (what sales and the review queue see). */
  bill?: Record<string, SlotValue>;
  /** Why a person must review the lead (the bill contradicts what was said, unreadable twice). */
  review?: string;
  /** A bill field read with medium confidence, waiting for the customer's Sim/Não. */
  confirm?: { slot: string; value: SlotValue; field: string };
};

export type AgentEvent =
  | { type: "start" }
  | {
      type: "message";
      text: string | null;
      messageType?: string;
      media?: MediaReading;
      /** The knowledge base's answer, when the message is a question and the agent has a FAQ. */
      answer?: FaqReply;
      /**
       * The customer's first words, written before the agent asked anything: read for what they
       * state ("aqui é o João, de Recife"), never as the answer to the first question.
       */
      opener?: boolean;
    }
  /** Values the LLM extracted through function calling (already validated with zod). */
  | { type: "extracted"; slots: Record<string, SlotValue> }
  /** The LLM read a request for a person (its request_human tool). */
  | { type: "human" };

export type Button = { id: string; title: string };
export type Effect =
  /** Send the prompt rendered with vars; with buttons, as an interactive reply-button message. */
  | { type: "reply"; prompt: string; vars: Record<string, string>; buttons?: Button[] }
  /** Send an approved template with these body parameters. */
  | { type: "template"; name: string; params: string[] }
  /** The conversation reached an outcome: persist the lead with the slots and the quote. */
  | { type: "outcome"; outcome: string; slots: Record<string, SlotValue>; details: Record<string, SlotValue> }
  | { type: "handoff" }
  /** The customer asked to stop: record it in the consent ledger. */
  | { type: "opt_out"; text: string }
  /** The customer asked to receive messages again. */
  | { type: "opt_in"; text: string }
  /** Flag the conversation for a person (a question the agent cannot answer yet). */
  | { type: "attention"; reason: string; text: string }
  /** Hand the conversation to another agent, which starts now. */
  | { type: "switch_agent"; agent: string };

/** Operator data the extractors need (the city list), passed in, never read here. */
export type TransitionContext = { cities: readonly City[] };

export function initialState(def: AgentDefinition): AgentState {
  return { state: def.initial, slots: {}, misses: 0, done: false, updatedAt: null, inferred: [], asked: [] };
}

/** "Na verdade é 600", "ah, errei, moro em Niterói", "não, é empresa": the customer corrects something said before. */
const CORRECTION =
  /\b(na verdade|na real|pensando bem|errei|corrigindo|retificando|correcao|corrige|quer dizer|quis dizer|alias|me enganei|digitei errado|escrevi errado|falei errado|troquei)\b|^(nao|desculpa|opa|ops|oops|epa)\b|\d\s+e\s+nao\s+\d/;
/** A money amount mentioned while another question was asked needs one of these words. */
const MONEY_WORDS = /\b(r|reais|real|conto|contos|pila|conta|mes|mensal|luz)\b|\$/;

/**
 * The agent's whole decision, as a pure function: definition + state + event + time → new state +
 * effects. No I/O and no clock reads: the executor runs the effects (render and send replies and
 * templates, persist the lead, record consent, hand off) and feeds results back as events.
 */
export function transition(
  def: AgentDefinition,
  current: AgentState,
  event: AgentEvent,
  now: Date,
  ctx: TransitionContext,
): { state: AgentState; effects: Effect[] } {
  const effects: Effect[] = [];
  let s: AgentState = {
    ...current,
    slots: { ...current.slots },
    inferred: [...current.inferred],
    asked: [...current.asked],
    updatedAt: now.toISOString(),
  };
  if (s.done) {
    if (event.type === "message" && s.resume && s.state === def.global.opt_out?.to)
      return afterOptOut(def, s, event, now, ctx);
    return { state: s, effects };
  }
  if (event.type === "start") return settle(def, s, effects, ctx, true, false);
  if (event.type === "human")
    return def.global.human ? enter(def, s, def.global.human.to, effects, ctx) : { state: s, effects };
  if (event.type === "extracted") {
    let changed = false;
    for (const [slot, value] of Object.entries(event.slots)) {
      if (acceptsValue(def.slots[slot], value) && s.slots[slot] !== value) {
        setSlot(s, slot, value);
        changed = true;
      }
    }
    if (changed) s = { ...s, misses: 0 };
    return settle(def, derive(def, s, ctx), effects, ctx, false, changed);
  }

  const text = event.text ?? "";
  const intent = text ? detectIntent(text) : undefined;
  if (intent === "opt_out" && def.global.opt_out) {
    effects.push({ type: "opt_out", text });
    return enter(def, { ...s, resume: s.state }, def.global.opt_out.to, effects, ctx);
  }
  if (intent === "human" && def.global.human) return enter(def, s, def.global.human.to, effects, ctx);
  if (intent === "opt_in" && def.global.opt_in) {
    // "VOLTAR" after the qualification resumed while still opted out: recorded and confirmed.
    effects.push({ type: "opt_in", text });
    effects.push({ type: "reply", prompt: def.global.opt_in.prompt, vars: computeVars(def, s) });
    return { state: s, effects };
  }
  if (event.media?.kind === "voice" && def.global.voice) {
    effects.push({ type: "reply", prompt: def.global.voice.prompt, vars: computeVars(def, s) });
    return { state: s, effects };
  }
  if (event.media && def.bill) {
    const handled = applyBill(def, s, event.media, effects, ctx);
    if (handled) return handled;
  }
  if (s.confirm) {
    // The customer answers the confirmation of a bill field (or moves on: the question lapses).
    const pending = s.confirm;
    delete s.confirm;
    const yes = parseYesNo(text);
    if (yes === true) {
      // Confirmed by the customer, the bill's value still must not contradict what they stated.
      const conflict = def.bill ? contradiction(def, s, pending.field, pending.value) : undefined;
      setSlot(s, pending.slot, pending.value);
      s = derive(def, { ...s, misses: 0 }, ctx);
      if (conflict && def.bill)
        return enterUnlessPassing(def, { ...s, review: conflict }, def.bill.review_state, effects, ctx);
      return settle(def, s, effects, ctx, false, true);
    }
    if (yes === false) return settle(def, s, effects, ctx, false, true);
  }
  const mediaSlot = Object.values(def.slots).some((spec) => spec.type === "media");
  const isMedia = event.messageType === "image" || event.messageType === "document";
  if (!text.trim() && !(isMedia && mediaSlot) && def.global.unsupported) {
    // Nothing readable (a sticker, a voice note, a location): say so, and change nothing.
    effects.push({ type: "reply", prompt: def.global.unsupported.prompt, vars: computeVars(def, s) });
    return { state: s, effects };
  }

  // The question on the table: the current one, or an optional one just asked (answered once).
  const asked = event.opener ? undefined : (currentAsk(def, s) ?? justAskedOptional(def, s));
  if (event.answer?.kind === "refuse" && def.faq) {
    // An attempt to steer the bot changes no slot, whatever numbers or places it holds: refused,
    // and the question on the table is asked again.
    effects.push(...faqEffects(def.faq, computeVars(def, s), event.answer, text));
    return { state: asked ? pose(def, s, asked, false, effects) : s, effects };
  }
  const correcting = CORRECTION.test(normalizeWords(text));
  const filled: string[] = [];
  const reading = readMessage(def, s, text, asked?.slot, ctx);
  if (asked) {
    const spec = def.slots[asked.slot];
    const value = extractSlot(spec, text, event.messageType, s, def, reading);
    if (value !== undefined && acceptsValue(spec, value)) {
      setSlot(s, asked.slot, value);
      filled.push(asked.slot);
    }
  }
  const fromBill = billSlots(def, s);
  let repeated = false;
  for (const [slot, spec] of Object.entries(def.slots)) {
    if (!spec.listen || slot === asked?.slot || filled.includes(slot)) continue;
    const known = s.slots[slot] !== undefined && !s.inferred.includes(slot);
    // Precedence: what the bill says beats what is said, even as a correction.
    if ((known && !correcting) || fromBill.has(slot)) continue;
    const value = listenSlot(spec, text, event.messageType, correcting, s, def, reading);
    if (value === undefined || !acceptsValue(spec, value)) continue;
    // Said again ("é a Neoenergia" where it was inferred): now stated. Repeating what is known is
    // understood, not a miss, though nothing changes.
    if (value !== s.slots[slot] || s.inferred.includes(slot)) {
      setSlot(s, slot, value);
      filled.push(slot);
    } else repeated = true;
  }
  placeCity(def, s, reading.place, filled);
  if (filled.length === 0) {
    if (intent === "question" && def.faq && event.answer) {
      // Answered from the knowledge base; the flow resumes with the question it was on.
      effects.push(...faqEffects(def.faq, computeVars(def, s), event.answer, text));
      return { state: asked ? pose(def, s, asked, false, effects) : s, effects };
    }
    if (intent === "question" && def.global.question) {
      // Off the script: acknowledge, flag for a person, and stay on the same question.
      effects.push({ type: "attention", reason: "question", text });
      effects.push({ type: "reply", prompt: def.global.question.prompt, vars: computeVars(def, s) });
      return { state: asked ? pose(def, s, asked, false, effects) : s, effects };
    }
    const cityAsk = unplacedCity(def, s, reading.place, asked);
    if (cityAsk) {
      // A place we could not find while another question was on the table: say so and ask for
      // the city and state; the question on the table is not counted as missed.
      effects.push(askEffect(def, s, cityAsk, true));
      return { state: s, effects };
    }
    if (asked && !asked.optional && repeated) return { state: pose(def, s, asked, false, effects), effects };
    if (asked && !asked.optional) {
      s = { ...s, misses: s.misses + 1 };
      if (s.misses >= def.max_misses && def.handoff_state)
        return enter(def, s, def.handoff_state, effects, ctx);
      // Two cities in one message: ask which one, not "não encontrei".
      const several = def.slots[asked.slot]?.type === "city" && reading.place.conflicting === true;
      return { state: pose(def, s, asked, several ? "several" : true, effects), effects };
    }
    const idle = def.states[s.state]?.idle;
    if (idle && text) effects.push({ type: "reply", prompt: idle, vars: computeVars(def, s) });
    return { state: s, effects };
  }
  // "moro em Recife, tem fidelidade?": the slot is taken and the question answered too.
  if (intent === "question" && def.faq && event.answer?.kind === "answer")
    effects.push(...faqEffects(def.faq, computeVars(def, s), event.answer, text));
  const settled = settle(def, derive(def, { ...s, misses: 0 }, ctx), effects, ctx, false, true);
  // Something was taken but there is nothing left to ask (a not_covered lead restating its
  // distributor): the state's idle answer, never silence.
  const idle = def.states[settled.state.state]?.idle;
  if (
    idle &&
    !settled.state.done &&
    !settled.effects.some((e) => e.type === "reply" || e.type === "template")
  )
    settled.effects.push({ type: "reply", prompt: idle, vars: computeVars(def, settled.state) });
  // Two cities named while the city was asked: the question that follows asks which one.
  const several = asked?.several && def.slots[asked.slot]?.type === "city" && reading.place.conflicting;
  if (!several || settled.state.slots[asked.slot] !== undefined) return settled;
  const which = (e: Effect): Effect =>
    e.type === "reply" && (e.prompt === asked.prompt || e.prompt === asked.followup)
      ? { ...e, prompt: asked.several ?? e.prompt }
      : e;
  return { ...settled, effects: settled.effects.map(which) };
}

/**
 * What the knowledge base's answer says to the customer: the answer with its source, "não sei"
 * (and a flag for a person), a refusal, or a request to say more.
 */
function faqEffects(
  faq: NonNullable<AgentDefinition["faq"]>,
  vars: Record<string, string>,
  answer: FaqReply,
  text: string,
): Effect[] {
  switch (answer.kind) {
    case "answer":
      return [
        { type: "reply", prompt: faq.answer, vars: { ...vars, answer: answer.text, source: answer.source } },
      ];
    case "dont_know":
      return [
        { type: "attention", reason: "question not in the knowledge base", text },
        { type: "reply", prompt: faq.dont_know, vars },
      ];
    case "refuse":
      return [{ type: "reply", prompt: faq.refuse, vars }];
    case "clarify":
      return [{ type: "reply", prompt: faq.clarify, vars }];
  }
}

/**
 * A bill (or a file that should have been one) arrives: the plan from `planBill` is applied —
 * a reply that changes nothing, review, or the bill's slots (then the usual transitions decide).
 */
function applyBill(
  def: AgentDefinition,
  current: AgentState,
  media: MediaReading,
  effects: Effect[],
  ctx: TransitionContext,
): { state: AgentState; effects: Effect[] } | undefined {
  const cfg = def.bill;
  const plan = planBill(def, current, media, ctx.cities);
  if (!cfg || !plan) return undefined;
  let s: AgentState = { ...current };
  delete s.confirm;
  if (plan.kind === "reply") {
    s.billUnreadable = plan.unreadable;
    effects.push({ type: "reply", prompt: plan.prompt, vars: computeVars(def, s) });
    return { state: s, effects };
  }
  if (plan.kind === "review") {
    if (passingState(def, s, cfg.review_state) === s.state) {
      // Already where review would lead (not_covered): just ask for a better file again.
      effects.push({
        type: "reply",
        prompt: cfg.prompts.unreadable.default ?? "",
        vars: computeVars(def, s),
      });
      return { state: { ...s, billUnreadable: plan.unreadable }, effects };
    }
    s = { ...s, billUnreadable: plan.unreadable, review: plan.reason };
    return enterUnlessPassing(def, s, cfg.review_state, effects, ctx);
  }
  for (const [slot, value] of Object.entries(plan.slots)) setSlot(s, slot, value);
  s = { ...derive(def, s, ctx), bill: { ...plan.bill }, billUnreadable: 0, misses: 0 };
  effects.push({ type: "reply", prompt: cfg.prompts.read, vars: computeVars(def, s) });
  if (plan.review) {
    s.review = plan.review;
    return enterUnlessPassing(def, s, cfg.review_state, effects, ctx);
  }
  if (plan.confirm) {
    const settled = settle(def, { ...s, confirm: plan.confirm }, effects, ctx, false, false);
    settled.effects.push({
      type: "reply",
      prompt: cfg.prompts.confirm,
      vars: computeVars(def, settled.state),
      buttons: YES_NO,
    });
    return settled;
  }
  return settle(def, s, effects, ctx, false, true);
}

const YES_NO: Button[] = [
  { id: "sim", title: "Sim" },
  { id: "nao", title: "Não" },
];

/**
 * Enters a state — unless one of its own transitions holds already, which is then taken instead
 * (outcome precedence: a bill from a distributor not served is not_covered, not needs_review).
 */
function enterUnlessPassing(
  def: AgentDefinition,
  s: AgentState,
  to: string,
  effects: Effect[],
  ctx: TransitionContext,
) {
  return enter(def, s, passingState(def, s, to) ?? to, effects, ctx);
}

/** The state one of `to`'s own transitions would move on to at once, if any. */
function passingState(def: AgentDefinition, s: AgentState, to: string): string | undefined {
  return nextOf(def, to, s)?.to;
}

/** The first transition of state `name` whose guards all hold for `s`. */
function nextOf(def: AgentDefinition, name: string, s: AgentState) {
  return def.states[name]?.next.find((t) => allHold(t.when, s, def.data));
}

/** Words of an acknowledgement that needs no answer after an opt-out ("ok, obrigado", "tá bom"). */
const ACK_WORDS = new Set(
  "ok okay okk ta t blz beleza obrigado obrigada brigado obg vlw valeu certo entendi tudo bem bom de nada muito show top joia combinado entao tchau ate mais logo abraco abracos falou flw legal otimo perfeito tranquilo sim isso".split(
    " ",
  ),
);

/**
 * An opted-out customer writes again. An acknowledgement gets nothing. "VOLTAR" (opt-in) is
 * confirmed and recorded, and the qualification resumes. Any other real message is answered and
 * the qualification resumes where it was; proactive messages stay blocked (the consent ledger still
 * says opted out) until an explicit opt-in.
 */
function afterOptOut(
  def: AgentDefinition,
  s: AgentState,
  event: Extract<AgentEvent, { type: "message" }>,
  now: Date,
  ctx: TransitionContext,
): { state: AgentState; effects: Effect[] } {
  const text = event.text ?? "";
  const words = normalizeWords(text);
  const ack = words.split(" ").every((w) => ACK_WORDS.has(w));
  // A file (a bill) is a real message, not an acknowledgement.
  const file = event.media !== undefined && event.media.kind !== "voice";
  if (!file && (!text.trim() || ack || !/[\p{L}\p{N}]/u.test(words))) return { state: s, effects: [] };
  const resumed: AgentState = { ...s, state: s.resume ?? def.initial, done: false, misses: 0 };
  delete resumed.resume;
  if (detectIntent(text) === "opt_in") {
    const effects: Effect[] = [{ type: "opt_in", text }];
    if (def.global.opt_in)
      effects.push({ type: "reply", prompt: def.global.opt_in.prompt, vars: computeVars(def, resumed) });
    return settle(def, resumed, effects, ctx, false, true);
  }
  return transition(def, resumed, event, now, ctx);
}

function setSlot(s: AgentState, slot: string, value: SlotValue): void {
  s.slots[slot] = value;
  s.inferred = s.inferred.filter((x) => x !== slot);
}

/** An optional question asked last in this state and not answered yet ("quer que eu te avise?"). */
function justAskedOptional(def: AgentDefinition, s: AgentState): AskDefinition | undefined {
  const slot = s.asked.at(-1);
  return def.states[s.state]?.ask.find((a) => a.slot === slot && s.slots[slot] === undefined);
}

/** The question the state is on: its first unanswered one whose conditions hold. */
export function currentAsk(def: AgentDefinition, s: AgentState): AskDefinition | undefined {
  return def.states[s.state]?.ask.find(
    (a) => s.slots[a.slot] === undefined && !s.asked.includes(a.slot) && allHold(a.when, s, def.data),
  );
}

/**
 * Follows transitions until a state needs input (or is final). Entering a state says its message,
 * sends its template and records its outcome; then its next unanswered question is asked —
 * skipping slots already known.
 */
function settle(
  def: AgentDefinition,
  s: AgentState,
  effects: Effect[],
  _ctx: TransitionContext,
  entering: boolean,
  changed: boolean,
): { state: AgentState; effects: Effect[] } {
  let state = s;
  let entered = entering;
  if (entering) onEnter(def, state, effects);
  for (let hops = 0; hops < Object.keys(def.states).length + 1; hops++) {
    const node = def.states[state.state];
    if (!node) throw new Error(`unknown state ${state.state}`);
    if (node.final) return { state: { ...state, done: true }, effects };
    const next = nextOf(def, state.state, state);
    if (next && next.to !== state.state) {
      state = { ...state, state: next.to, misses: 0, asked: [] };
      entered = true;
      onEnter(def, state, effects);
      continue;
    }
    const ask = currentAsk(def, state);
    if (ask && (entered || changed)) {
      state = pose(def, state, ask, false, effects);
      if (ask.optional) state = { ...state, asked: [...state.asked, ask.slot] };
    }
    return { state, effects };
  }
  throw new Error(`agent ${def.id}: transitions loop without asking anything`);
}

function onEnter(def: AgentDefinition, s: AgentState, effects: Effect[]): void {
  const node = def.states[s.state];
  if (!node) return;
  const vars = computeVars(def, s);
  if (node.say) effects.push({ type: "reply", prompt: node.say, vars });
  if (node.template)
    effects.push({
      type: "template",
      name: node.template.name,
      params: node.template.params.map((p) => vars[p] ?? ""),
    });
  if (node.outcome)
    effects.push({
      type: "outcome",
      outcome: node.outcome,
      slots: { ...s.slots },
      details: leadDetails(def, s),
    });
  if (s.state === def.handoff_state || s.state === def.global.human?.to) effects.push({ type: "handoff" });
  if (node.switch_to) effects.push({ type: "switch_agent", agent: node.switch_to });
}

function enter(def: AgentDefinition, s: AgentState, to: string, effects: Effect[], ctx: TransitionContext) {
  return settle(def, { ...s, state: to, misses: 0, asked: [] }, effects, ctx, true, false);
}

/**
 * A question, with buttons for a choice slot: its reprompt after a miss (its `several` wording when
 * the answer named two cities), its follow-up wording when
 * it comes back after something else (no greeting repeated), else its first wording.
 */
function askEffect(
  def: AgentDefinition,
  s: AgentState,
  ask: AskDefinition,
  again: boolean | "several",
): Effect {
  const spec = def.slots[ask.slot];
  const options = spec?.options ?? (spec?.type === "yes_no" ? YES_NO : undefined);
  const posed = s.posed?.includes(ask.slot) ?? false;
  const reprompt = ask.reprompt ?? ask.prompt;
  return {
    type: "reply",
    prompt:
      again === "several"
        ? (ask.several ?? reprompt)
        : again
          ? reprompt
          : posed
            ? (ask.followup ?? ask.prompt)
            : ask.prompt,
    vars: computeVars(def, s),
    ...(options ? { buttons: options.map((o) => ({ id: o.id, title: o.title })) } : {}),
  };
}

/** What a message says, read once: the name it states or gives, and the place. */
type MessageReading = { name?: NameReading; place: PlaceReading };

function readMessage(
  def: AgentDefinition,
  s: AgentState,
  text: string,
  askedSlot: string | undefined,
  ctx: TransitionContext,
): MessageReading {
  const askedType = askedSlot ? def.slots[askedSlot]?.type : undefined;
  const knownUf = stringSlot(s, "state");
  const g = gazetteerFor(ctx.cities);
  const read = askedType === "name" ? readNameAnswer(text) : findStatedName(text);
  const answer = read && withoutPlaceTail(read, (words) => isKnownPlace(words, ctx.cities));
  // "Betim, MG" answers the name question with a place and its state: a name that only looks like
  // one yields when that place is where the name was read ("Rita de Cássia" stays a name).
  const placeInName = (a: NameReading) => {
    const whole = readPlace(text, g);
    return whole.city && whole.statedUf && !readPlace(text, g, { skip: a }).city;
  };
  const name = answer && !answer.stated && placeInName(answer) ? undefined : answer;
  const place = readPlace(text, g, {
    answering: askedType === "city" || askedType === "uf",
    ...(knownUf ? { knownUf } : {}),
    ...(name ? { skip: name } : {}),
  });
  return { ...(name ? { name } : {}), place };
}

/**
 * A city read in this message brings its state with it (inferred, so a later correction of the
 * city moves it too), unless the state was said to pick among namesakes.
 */
function placeCity(def: AgentDefinition, s: AgentState, place: PlaceReading, filled: string[]): void {
  const city = place.city;
  const citySlot = slotOfType(def, "city");
  const ufSlot = slotOfType(def, "uf");
  if (!city || !citySlot || !ufSlot || !filled.includes(citySlot) || s.slots[citySlot] !== city.name) return;
  if (s.slots[ufSlot] === city.uf) return;
  s.slots[ufSlot] = city.uf;
  if (!s.inferred.includes(ufSlot)) s.inferred.push(ufSlot);
}

/**
 * The distributor named: the operator's (by state for shared names like "Enel"), or any other of
 * the country's when its name is the longer mention ("CPFL Piratininga" is not "CPFL") or the
 * operator's is another state's.
 */
function readDistributor(text: string, def: AgentDefinition, s: AgentState): string | undefined {
  const uf = stringSlot(s, "state");
  const operator = matchDistributor(text, def.data.distributors, uf);
  const known = matchKnownDistributor(text);
  if (known && (!operator || known.length > mentionLength(text, operator))) return known.name;
  if (operator && (!uf || operator.uf === uf)) return operator.name;
  // "Neoenergia" in Bahia is the operator's Coelba (Neoenergia Coelba): the group in this state.
  const ofGroup = uf ? matchDistributorGroup(text, def.data.distributors, uf) : undefined;
  if (ofGroup) return ofGroup.name;
  // "Energisa" in MG is not the operator's Energisa MT: stored as the customer said it.
  return known?.name ?? operator?.name;
}

/** The city question to put when the message named a place we do not know (and the city is open). */
function unplacedCity(
  def: AgentDefinition,
  s: AgentState,
  place: PlaceReading,
  asked: AskDefinition | undefined,
): AskDefinition | undefined {
  if (!place.unplaced) return undefined;
  const slot = slotOfType(def, "city");
  if (!slot || s.slots[slot] !== undefined || asked?.slot === slot) return undefined;
  return def.states[s.state]?.ask.find((a) => a.slot === slot);
}

/** The agent's slot of this type (its city, its state), if it has one. */
function slotOfType(def: AgentDefinition, type: SlotSpec["type"]): string | undefined {
  return Object.keys(def.slots).find((k) => def.slots[k]?.type === type);
}

/** Slots that still hold the value the last bill gave them. */
function billSlots(def: AgentDefinition, s: AgentState): Set<string> {
  const fills = def.bill?.fills ?? {};
  return new Set(
    Object.entries(fills).flatMap(([field, slot]) =>
      s.bill?.[field] !== undefined && s.slots[slot] === s.bill[field] ? [slot] : [],
    ),
  );
}

/** Puts the question to the customer (its effect added to `effects`) and records it as posed. */
export function pose(
  def: AgentDefinition,
  s: AgentState,
  ask: AskDefinition,
  again: boolean | "several",
  effects: Effect[],
): AgentState {
  effects.push(askEffect(def, s, ask, again));
  return s.posed?.includes(ask.slot) ? s : { ...s, posed: [...(s.posed ?? []), ask.slot] };
}

/** Reads the asked slot from an answer. */
function extractSlot(
  spec: SlotSpec | undefined,
  text: string,
  messageType: string | undefined,
  s: AgentState,
  def: AgentDefinition,
  reading: MessageReading,
): SlotValue | undefined {
  if (spec?.type === "media")
    return !def.bill && (messageType === "image" || messageType === "document") ? true : undefined;
  if (!text.trim()) return undefined;
  switch (spec?.type) {
    case "name":
      return reading.name?.name;
    case "city":
      return reading.place.city?.name ?? reading.place.sharedName;
    case "uf":
      return reading.place.city ? undefined : (reading.place.statedUf ?? matchUf(text));
    case "distributor":
      return readDistributor(text, def, s);
    case "money":
    case "number":
      // "uns 300. Tenho um salão": the answer is the first sentence; the rest may say more.
      return parseMoneyBrl(text.split(/[.!;\n]\s/)[0] ?? text) ?? parseMoneyBrl(text);
    case "yes_no":
      return parseYesNo(text) ?? holderAnswer(spec, text);
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

/**
 * Reads a listened slot from a message that answered something else: stricter than an answer to
 * the slot's own question (a number is a bill only with a money word, unless it is a correction).
 */
function listenSlot(
  spec: SlotSpec,
  text: string,
  messageType: string | undefined,
  correcting: boolean,
  s: AgentState,
  def: AgentDefinition,
  reading: MessageReading,
): SlotValue | undefined {
  if (spec.type === "money")
    return correcting || MONEY_WORDS.test(normalizeWords(text)) ? parseMoneyBrl(text) : undefined;
  // "gasto uns 300 kWh": a number with its unit is that slot, whatever was asked.
  if (spec.type === "number" && spec.unit) return numberWithUnit(text, spec.unit);
  // A name only when the message states one ("aqui é a Ana"); a state only when said outright.
  if (spec.type === "name") return reading.name?.name;
  if (spec.type === "uf") return reading.place.city ? undefined : reading.place.statedUf;
  // Yes/no only from what it means here ("tá no nome do meu marido"), never a bare "sim".
  if (spec.type === "yes_no") return holderAnswer(spec, text);
  // Plain numbers and free text are too ambiguous to read from an answer to another question.
  if (!LISTENABLE.has(spec.type)) return undefined;
  // "e se eu mudar de casa?": an option named inside a question is not a statement about the customer.
  if (spec.type === "choice") return extractSlot(spec, statements(text), messageType, s, def, reading);
  return extractSlot(spec, text, messageType, s, def, reading);
}

/** The sentences of a message that are not questions ("Tenho uma loja. Vcs atendem?" → the first). */
function statements(text: string): string {
  return text
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => !sentence.trim().endsWith("?"))
    .join(" ");
}

/** The number written right before a unit ("1.234 kWh", "uns 300kwh"), Brazilian separators. */
function numberWithUnit(text: string, unit: string): number | undefined {
  const m = new RegExp(String.raw`(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?\s*${unit}\b`, "i").exec(
    normalizeText(text),
  );
  if (!m?.[1]) return undefined;
  return Number(`${m[1].replace(/\./g, "")}${m[2] ? `.${m[2]}` : ""}`);
}

const LISTENABLE = new Set(["city", "distributor", "choice", "email", "media"]);

/** A yes/no slot about the account holder read from what the customer says about the bill's name. */
function holderAnswer(spec: SlotSpec, text: string): boolean | undefined {
  if (!spec.means) return undefined;
  const said = readAccountHolder(text);
  return spec.means === "account_holder" ? said.holder : said.agrees;
}

function stringSlot(s: AgentState, slot: string): string | undefined {
  const v = s.slots[slot];
  return typeof v === "string" ? v : undefined;
}
