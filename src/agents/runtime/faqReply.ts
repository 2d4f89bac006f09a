/**
 * What the knowledge base made of a customer's question, as the agent sees it (the turn asks the
 * FAQ before deciding, and passes this in with the message): an answer with its source page, "não
 * sei", a refusal of manipulation, or a request to say more.
 */
export type FaqReply =
  | { kind: "answer"; text: string; source: string }
  | { kind: "dont_know" }
  | { kind: "refuse" }
  | { kind: "clarify" };
