import type { AgentData } from "./agentDefinition.ts";
import type { AgentState } from "./transition.ts";

export type Guard = (
  state: AgentState,
  args: Record<string, string | number | boolean>,
  data: AgentData,
) => boolean;

const distributorOf = (s: AgentState, data: AgentData) =>
  typeof s.slots.distributor === "string"
    ? data.distributors.find((d) => d.name === s.slots.distributor)
    : undefined;

/** The bill against the operator's minimum for the customer type; undefined until both are known. */
function billVsMinimum(s: AgentState, data: AgentData): number | undefined {
  const bill = s.slots.monthly_bill_brl;
  const type = s.slots.customer_type;
  if (typeof bill !== "number" || typeof type !== "string") return undefined;
  const minimum = data.minimums[type];
  return minimum === undefined ? undefined : bill - minimum;
}

/** Every guard an agent file may name, in one place (agents refer to them by name only). */
export const guards: Record<string, Guard> = {
  has_slot: (s, a) => typeof a.slot === "string" && s.slots[a.slot] !== undefined,
  missing_slot: (s, a) => typeof a.slot === "string" && s.slots[a.slot] === undefined,
  slot_at_least: (s, a) => {
    const v = typeof a.slot === "string" ? s.slots[a.slot] : undefined;
    return typeof v === "number" && typeof a.min === "number" && v >= a.min;
  },
  slot_below: (s, a) => {
    const v = typeof a.slot === "string" ? s.slots[a.slot] : undefined;
    return typeof v === "number" && typeof a.max === "number" && v < a.max;
  },
  slot_is: (s, a) => typeof a.slot === "string" && s.slots[a.slot] === a.value,
  /** Any of the slots (comma-separated) is still unknown. */
  missing_any: (s, a) =>
    typeof a.slots === "string" && a.slots.split(",").some((slot) => s.slots[slot.trim()] === undefined),
  /** The distributor is known and served. */
  distributor_covered: (s, _a, data) => distributorOf(s, data)?.covered === true,
  /** The distributor is known (stated, inferred or from the bill) and not served. */
  distributor_not_covered: (s, _a, data) =>
    s.slots.distributor !== undefined && distributorOf(s, data)?.covered !== true,
  /** The bill is at or above the minimum for the customer type (operator data). */
  bill_meets_minimum: (s, _a, data) => (billVsMinimum(s, data) ?? -1) >= 0,
  bill_below_minimum: (s, _a, data) => (billVsMinimum(s, data) ?? 0) < 0,
};

/** Whether every guard of a `when` list holds; an unknown guard never does (content checks reject it). */
export function allHold(
  when: readonly { guard: string; args: Record<string, string | number | boolean> }[],
  s: AgentState,
  data: AgentData,
): boolean {
  return when.every((g) => guards[g.guard]?.(s, g.args, data) ?? false);
}
