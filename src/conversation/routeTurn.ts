import { detectIntent } from "../agents/extract/detectIntent.ts";
import type { AgentDefinition } from "../agents/runtime/agentDefinition.ts";
import { readAgentState, statesFacts } from "../agents/runtime/decideTurn.ts";
import type { AgentState } from "../agents/runtime/transition.ts";
import type { LoadedAgent } from "../content/loadContent.ts";
import type { ConversationRow, PendingRow } from "./loadTurn.ts";
import type { TurnDeps } from "./turnDeps.ts";

/** The agent that answers this turn, with the plans it quotes and the state it starts from. */
export type Routed = {
  /** The agent as loaded (its id and version are what the turn records). */
  loaded: LoadedAgent;
  /** The same agent with this turn's live plans, if the plans service answered. */
  agent: LoadedAgent;
  before: AgentState;
  /** The customer's texts of this turn, in order (silent types left out). */
  texts: string[];
  withPlans: (a: LoadedAgent) => LoadedAgent;
};

/**
 * Stage 3 — route: the conversation's agent, or the FAQ agent for a new conversation that opens
 * with a question (routing.yaml `questions`); live plans from the plans service replace the
 * agent's own table for this turn. The plans call is a network call: no connection is held.
 */
export async function routeTurn(
  deps: TurnDeps,
  conversation: ConversationRow,
  rows: PendingRow[],
): Promise<Routed> {
  let loaded = deps.agents.get(conversation.agent_id) ?? deps.agents.values().next().value;
  if (!loaded) throw new Error("no agent loaded");
  const def = loaded.definition;
  const opening = rows.find((r) => !def.silent_types.includes(r.type) && r.text?.trim());
  const questionAgentId = deps.questionAgent?.(conversation.phone_number_id, conversation.agent_id);
  const questionAgent = questionAgentId ? deps.agents.get(questionAgentId) : undefined;
  if (
    questionAgent &&
    readAgentState(def, conversation.state).updatedAt === null &&
    opening?.text &&
    detectIntent(opening.text) === "question" &&
    !statesFacts(def, opening.text, deps.now(), { cities: citiesOf(def, deps.agents) })
  )
    loaded = questionAgent;
  const livePlans = deps.plans ? await deps.plans() : undefined;
  const withPlans = (a: LoadedAgent): LoadedAgent =>
    livePlans
      ? { ...a, definition: { ...a.definition, data: { ...a.definition.data, plans: livePlans } } }
      : a;
  const agent = withPlans(loaded);
  const before = readAgentState(agent.definition, conversation.state);
  const texts = rows.flatMap((r) =>
    !agent.definition.silent_types.includes(r.type) && r.text?.trim() ? [r.text.trim()] : [],
  );
  return { loaded, agent, before, texts, withPlans };
}

/**
 * The cities an agent understands: its own list, or — for an agent without one, like the FAQ — the
 * list of the agent it hands conversations to (one list of operator data, not two).
 */
export function citiesOf(def: AgentDefinition, agents: ReadonlyMap<string, LoadedAgent>) {
  if (def.data.cities.length > 0) return def.data.cities;
  const target = Object.values(def.states).find((st) => st.switch_to)?.switch_to;
  return (target ? agents.get(target)?.definition.data.cities : undefined) ?? [];
}
