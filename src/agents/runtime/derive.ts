import { matchCity } from "../extract/matchPlace.ts";
import type { AgentDefinition } from "./agentDefinition.ts";
import type { AgentState, TransitionContext } from "./transition.ts";

/**
 * Slots filled from others, after every change, as the agent lists in `derive` (operator data
 * decides): the state from the city, the distributor from the city or the state. An inferred value
 * is marked as such; anything the customer states replaces it, and it is inferred again (or
 * cleared, so the agent asks) when the place changes.
 */
export function derive(def: AgentDefinition, s: AgentState, ctx: TransitionContext): AgentState {
  const next: AgentState = { ...s, slots: { ...s.slots }, inferred: [...s.inferred] };
  const infer = (slot: string, value: string | undefined) => {
    const stated = next.slots[slot] !== undefined && !next.inferred.includes(slot);
    if (stated) return;
    if (value === undefined) {
      delete next.slots[slot];
      next.inferred = next.inferred.filter((x) => x !== slot);
    } else {
      next.slots[slot] = value;
      if (!next.inferred.includes(slot)) next.inferred.push(slot);
    }
  };
  for (const rule of def.derive) {
    const city = typeof next.slots.city === "string" ? next.slots.city : undefined;
    if (rule === "uf_from_city" && "state" in def.slots) {
      // The state known picks among namesakes (Bom Jesus, PI); a city of one state brings it.
      const known = typeof next.slots.state === "string" ? next.slots.state : undefined;
      infer("state", city ? matchCity(city, ctx.cities, known)?.uf : undefined);
    }
    if (rule === "distributor_from_place" && "distributor" in def.slots) {
      const uf = typeof next.slots.state === "string" ? next.slots.state : undefined;
      const byCity = city ? def.data.distributor_by_city[city] : undefined;
      infer("distributor", byCity ?? (uf ? def.data.distributor_by_uf[uf] : undefined));
    }
  }
  return next;
}
