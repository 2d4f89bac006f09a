import type { AgentState } from "./transition.ts";

export type Guard = (state: AgentState, args: Record<string, string | number | boolean>) => boolean;

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
};
