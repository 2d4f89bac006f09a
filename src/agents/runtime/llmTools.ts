/** The tools an agent may let the LLM call, by name (agents list them in `llm_tools`, per state if needed). */
export const LLM_TOOL_NAMES = ["record_customer_data", "request_human"] as const;
export type LlmToolName = (typeof LLM_TOOL_NAMES)[number];
