import { type City, matchCity } from "../extract/matchPlace.ts";
import type { AgentDefinition } from "./agentDefinition.ts";
import type { MediaReading } from "./mediaReading.ts";
import type { AgentState, SlotValue } from "./transition.ts";

/** Fields without which a bill tells sales nothing: at least one must be read. */
const KEY_FIELDS = ["amount_due_brl", "distributor"] as const;
/** Fields a medium-confidence reading of which the customer is asked to confirm, in this order. */
const CONFIRMABLE = ["amount_due_brl", "distributor"] as const;

export type BillPlan =
  /** Nothing changes but (maybe) the count of unreadable bills; this prompt is the answer. */
  | { kind: "reply"; prompt: string; problem: string; unreadable: number }
  /** Unreadable too many times: a person reviews the lead. */
  | { kind: "review"; reason: string; unreadable: number }
  /**
   * The bill was read: these slots take the bill's values (it beats what was said), the bill's
   * fields are kept for the lead, and a contradiction with what the customer stated sends the
   * lead to review. A key field read with medium confidence is asked to the customer first.
   */
  | {
      kind: "read";
      slots: Record<string, SlotValue>;
      bill: Record<string, SlotValue>;
      review?: string;
      confirm?: { slot: string; value: SlotValue; field: string };
    };

/**
 * Whether a bill's value for `field` contradicts what the customer *stated* (not inferred, not read
 * from an earlier bill): another distributor, or an amount more than `amount_tolerance` away.
 * Returns the reason, for the review queue.
 */
export function contradiction(
  def: AgentDefinition,
  s: AgentState,
  field: string,
  value: SlotValue,
): string | undefined {
  const cfg = def.bill;
  if (!cfg) return undefined;
  if (field === "distributor" && cfg.fills.distributor) {
    const slot = cfg.fills.distributor;
    const stated = s.slots[slot];
    const wasStated = stated !== undefined && !s.inferred.includes(slot) && s.bill?.distributor !== stated;
    if (wasStated && stated !== value)
      return `distributor stated "${String(stated)}", bill says "${String(value)}"`;
  }
  if (field === "amount_due_brl" && cfg.fills.amount_due_brl) {
    const stated = s.slots[cfg.fills.amount_due_brl];
    const statedBefore = typeof stated === "number" && s.bill?.amount_due_brl !== stated;
    if (statedBefore && typeof value === "number" && Math.abs(stated - value) > cfg.amount_tolerance * value)
      return `bill stated as ${stated}, bill says ${value}`;
  }
  return undefined;
}

/**
 * What a bill (or a file that should have been one) does to the conversation, purely. The
 * operator's `bill` section maps fields to slots and names the prompts; the business rules: a
 * stated distributor other than the bill's, or a stated bill more than `amount_tolerance` away from
 * the bill's amount, is a contradiction (an inferred distributor is simply replaced); unreadable
 * `max_unreadable` times goes to review.
 */
export function planBill(
  def: AgentDefinition,
  s: AgentState,
  reading: MediaReading,
  cities: readonly City[],
): BillPlan | undefined {
  const cfg = def.bill;
  if (!cfg) return undefined;
  const failures = s.billUnreadable ?? 0;
  const pick = (map: Record<string, string>, key: string) => map[key] ?? map.default ?? "";
  if (reading.kind === "refused" || reading.kind === "failed") {
    const reason = reading.kind === "failed" ? "failed" : reading.reason;
    return {
      kind: "reply",
      prompt: pick(cfg.prompts.refused, reason),
      problem: reason,
      unreadable: failures,
    };
  }
  if (reading.kind !== "bill") return undefined;
  const fields = reading.fields;
  const usable = (f: string) => {
    const c = fields[f]?.confidence;
    return c === "high" || c === "medium";
  };
  if (!reading.isBill) {
    const damaged = reading.problems.find((p) => p === "corrupt" || p === "encrypted");
    if (!damaged)
      return { kind: "reply", prompt: cfg.prompts.not_a_bill, problem: "not_a_bill", unreadable: failures };
  }
  if (!reading.isBill || !KEY_FIELDS.some(usable)) {
    const count = failures + 1;
    const problem =
      reading.problems.find((p) => p in cfg.prompts.unreadable && p !== "not_a_bill") ?? "unreadable";
    if (count >= cfg.max_unreadable)
      return { kind: "review", reason: `bill unreadable ${count} times (${problem})`, unreadable: count };
    return { kind: "reply", prompt: pick(cfg.prompts.unreadable, problem), problem, unreadable: count };
  }

  const bill: Record<string, SlotValue> = {};
  for (const [name, f] of Object.entries(fields)) {
    if (f.confidence === "low") continue;
    bill[name] = Array.isArray(f.value) ? f.value.join(",") : f.value;
  }
  const slots: Record<string, SlotValue> = {};
  let confirm: { slot: string; value: SlotValue; field: string } | undefined;
  for (const [field, slot] of Object.entries(cfg.fills)) {
    const f = fields[field];
    if (!f || Array.isArray(f.value)) continue;
    let value: SlotValue = f.value;
    if (field === "city") {
      // Slots hold canonical cities (IBGE's spelling); the bill's own state picks among namesakes.
      const billUf = typeof fields.state?.value === "string" ? fields.state.value : undefined;
      const city = typeof value === "string" ? matchCity(value, cities, billUf) : undefined;
      if (!city) continue;
      value = city.name;
    }
    if (f.confidence === "high") slots[slot] = value;
    else if (
      f.confidence === "medium" &&
      !confirm &&
      (CONFIRMABLE as readonly string[]).includes(field) &&
      s.slots[slot] !== value
    )
      confirm = { slot, value, field };
  }
  slots[cfg.received_slot] = true;

  const reasons: string[] = [];
  for (const field of ["distributor", "amount_due_brl"] as const) {
    const slot = cfg.fills[field];
    const value = slot ? slots[slot] : undefined;
    const conflict = value === undefined ? undefined : contradiction(def, s, field, value);
    if (conflict) reasons.push(conflict);
  }
  return {
    kind: "read",
    slots,
    bill,
    ...(reasons.length > 0 ? { review: reasons.join("; ") } : {}),
    ...(confirm ? { confirm } : {}),
  };
}
