import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { type AgentDefinition, agentDefinitionSchema } from "../../src/agents/runtime/agentDefinition.ts";

/** The shipped lead-qualification agent, parsed as the service parses it (for pure agent tests). */
export function leadAgent(): AgentDefinition {
  return agentDefinitionSchema.parse(
    parse(readFileSync(new URL("../../agents/lead_qualification.yaml", import.meta.url), "utf8")),
  );
}
