import { z } from "zod";
import { type Prompt, renderPrompt } from "../../content/parsePrompt.ts";
import type { LlmClient, LlmTool, Usage } from "../../tools/llm/createLlmClient.ts";
import { gazetteerFor } from "../extract/createGazetteer.ts";
import { matchDistributor } from "../extract/matchDistributor.ts";
import { matchUf } from "../extract/matchPlace.ts";
import { readPlace } from "../extract/readPlace.ts";
import type { AgentDefinition, SlotSpec } from "./agentDefinition.ts";
import { LLM_TOOL_NAMES, type LlmToolName } from "./llmTools.ts";
import type { AgentState, SlotValue } from "./transition.ts";

const SLOT_SCHEMAS = {
  name: z.string().min(1).max(80),
  city: z.string().min(2).max(80),
  money: z.number().positive().max(10_000_000),
  yes_no: z.boolean(),
  email: z.email(),
  text: z.string().min(1).max(500),
  uf: z.string().length(2),
  distributor: z.string().min(2).max(80),
  number: z.number().min(0).max(10_000_000),
} as const;

function slotSchema(spec: SlotSpec): z.ZodType | undefined {
  // A media slot is filled by what the customer sends, never by the LLM.
  if (spec.type === "media") return undefined;
  if (spec.type !== "choice") return SLOT_SCHEMAS[spec.type];
  const [first, ...rest] = (spec.options ?? []).map((o) => o.id);
  return first === undefined ? z.never() : z.enum([first, ...rest]);
}

/** A line of the bounded history window the LLM sees (oldest first). */
export type HistoryLine = { from: "cliente" | "empresa"; text: string };

export type Interpretation = {
  slots: Record<string, SlotValue>;
  /** The LLM called request_human: the customer asked for a person in their own words. */
  wantsHuman: boolean;
  usage: Usage;
  outcome: string;
  /** The tools the LLM called, in order (the turn inspector shows them). */
  tools?: string[];
};

/**
 * The LLM's part of a turn: read the customer's messages and report the slots they state, through
 * function calling. The tool's schema is built from the agent's slots, so arguments are validated
 * (and repaired once) by the client; the customer's words travel as JSON data in the user message,
 * and the system prompt (prompts/llm_extract.md) says they are never instructions. Values are then
 * normalised like the degraded extractors' (cities to the operator's list).
 */
export async function interpretWithLlm(
  llm: LlmClient,
  def: AgentDefinition,
  state: AgentState,
  texts: string[],
  systemPrompt: Prompt,
  /** The last messages before this turn, so "sim" or "a segunda" can be read in context. */
  history: readonly HistoryLine[] = [],
  /** The tools this state allows (the agent's `llm_tools`). */
  allowed: readonly LlmToolName[] = LLM_TOOL_NAMES,
): Promise<Interpretation> {
  const shape: Record<string, z.ZodType> = {};
  for (const [slot, spec] of Object.entries(def.slots)) {
    const schema = slotSchema(spec);
    if (schema) shape[slot] = schema.optional();
  }
  const tools: (LlmTool & { name: LlmToolName })[] = [
    {
      name: "record_customer_data",
      description: "Registra os dados que o cliente afirmou nas mensagens.",
      schema: z.object(shape),
    },
    {
      name: "request_human",
      description: "Chame quando o cliente pedir, com as palavras dele, para falar com uma pessoa da equipe.",
      schema: z.object({ motivo: z.string().max(200).optional() }),
    },
  ];
  const result = await llm.callWithTools({
    messages: [
      {
        role: "system",
        content: renderPrompt(systemPrompt, {
          fields: Object.entries(def.slots)
            .map(([slot, spec]) =>
              spec.options
                ? `${slot} (uma de: ${spec.options.map((o) => `${o.id} = ${o.title}`).join("; ")})`
                : `${slot} (${spec.type})`,
            )
            .join(", "),
          known: JSON.stringify(state.slots),
        }),
      },
      {
        role: "user",
        content: JSON.stringify(
          history.length > 0
            ? { conversa_anterior: history, mensagens_do_cliente: texts }
            : { mensagens_do_cliente: texts },
        ),
      },
    ],
    tools: tools.filter((t) => allowed.includes(t.name)),
    // The prompt's front matter may tune the call; reading facts wants no creativity by default.
    temperature: systemPrompt.model?.temperature ?? 0,
    ...(systemPrompt.model?.max_tokens ? { maxTokens: systemPrompt.model.max_tokens } : {}),
  });
  if (!result.ok) return { slots: {}, wantsHuman: false, usage: result.usage, outcome: result.reason };
  const slots: Record<string, SlotValue> = {};
  // The client has already dropped calls to tools that were not offered.
  const wantsHuman = result.toolCalls.some((c) => c.name === "request_human");
  for (const call of result.toolCalls.filter((c) => c.name === "record_customer_data")) {
    for (const [slot, value] of Object.entries(call.args)) {
      const spec = def.slots[slot];
      if (!spec || value === undefined || value === null) continue;
      if (spec.type === "city") {
        const uf = typeof state.slots.state === "string" ? state.slots.state : undefined;
        const place =
          typeof value === "string"
            ? readPlace(value, gazetteerFor(def.data.cities), {
                answering: true,
                ...(uf ? { knownUf: uf } : {}),
              })
            : undefined;
        // A namesake (Bom Jesus) is kept by name: the agent then asks the state.
        const city = place?.city?.name ?? place?.sharedName;
        if (city) slots[slot] = city;
      } else if (spec.type === "uf") {
        const uf = typeof value === "string" ? matchUf(value) : undefined;
        if (uf) slots[slot] = uf;
      } else if (spec.type === "distributor") {
        const uf = typeof state.slots.state === "string" ? state.slots.state : undefined;
        const d = typeof value === "string" ? matchDistributor(value, def.data.distributors, uf) : undefined;
        if (d) slots[slot] = d.name;
      } else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        slots[slot] = typeof value === "string" ? value.trim() : value;
      }
    }
  }
  const outcome = wantsHuman ? "human" : Object.keys(slots).length > 0 ? "extracted" : "nothing";
  return { slots, wantsHuman, usage: result.usage, outcome, tools: result.toolCalls.map((c) => c.name) };
}
