import type { AgentDefinition } from "../agents/runtime/agentDefinition.ts";
import { allHold } from "../agents/runtime/guards.ts";
import type { AgentState } from "../agents/runtime/transition.ts";

/** Whether the agent's follow-up applies to a conversation in this state (pure). */
export function followUpEligible(def: AgentDefinition, s: AgentState): boolean {
  const rule = def.follow_up;
  if (!rule || s.done) return false;
  const conditions = rule.in_states[s.state];
  if (conditions === undefined) return false;
  return allHold(conditions, s, def.data);
}
