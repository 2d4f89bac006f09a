import type { SlotSpec } from "./agentDefinition.ts";
import type { SlotValue } from "./transition.ts";

/**
 * The slot's validators from the agent file: numbers within min/max, text lengths within
 * min/max and matching `pattern`. The same rule whether the value came from the degraded
 * extractors or from the LLM, so a bill of "R$ 2" or an LLM's invented value is not accepted.
 */
export function acceptsValue(spec: SlotSpec | undefined, value: SlotValue): boolean {
  if (!spec) return false;
  if (typeof value === "number") {
    return (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max);
  }
  if (typeof value === "string") {
    if (spec.min !== undefined && value.length < spec.min) return false;
    if (spec.max !== undefined && value.length > spec.max) return false;
    if (spec.pattern !== undefined && !new RegExp(`^(?:${spec.pattern})$`, "u").test(value)) return false;
    if (spec.options && !spec.options.some((o) => o.id === value)) return false;
  }
  return true;
}
