import { z } from "zod";
import { type Prompt, renderPrompt } from "../content/parsePrompt.ts";
import type { OutboundMessage } from "../whatsapp/outboundMessage.ts";

export const echoAgentSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/),
  version: z.union([z.string(), z.number()]).transform(String),
  description: z.string().optional(),
  silent_types: z.array(z.string()).default([]),
  /** Prompt ids (files in prompts/) for the two replies; operators edit the wording there. */
  prompts: z.strictObject({
    echo: z.string().min(1),
    unsupported: z.string().min(1),
  }),
});
export type EchoAgentDefinition = z.infer<typeof echoAgentSchema>;

export type TurnMessage = { waMessageId: string; type: string; text: string | null };
export type EchoState = { turns: number; messagesSeen: number };

export const initialEchoState: EchoState = { turns: 0, messagesSeen: 0 };

const stateSchema = z.object({ turns: z.number().int(), messagesSeen: z.number().int() });

export function readEchoState(stored: unknown): EchoState {
  const parsed = stateSchema.safeParse(stored);
  return parsed.success ? parsed.data : initialEchoState;
}

/**
 * The whole minimal agent: pure (definition + state + this turn's messages → new state + replies).
 * Texts of a burst are answered together, in order; anything without readable text gets one
 * polite "unsupported" reply; silent types get nothing.
 */
export function decideEcho(
  definition: EchoAgentDefinition,
  prompts: ReadonlyMap<string, Prompt>,
  state: EchoState,
  messages: TurnMessage[],
): { state: EchoState; replies: OutboundMessage[] } {
  const answerable = messages.filter((m) => !definition.silent_types.includes(m.type));
  const texts = answerable.flatMap((m) => (m.text?.trim() ? [m.text.trim()] : []));
  const replies: OutboundMessage[] = [];
  if (texts.length > 0) {
    replies.push({
      type: "text",
      text: renderPrompt(promptFor(prompts, definition.prompts.echo), { texts: texts.join(" | ") }),
    });
  }
  if (answerable.some((m) => !m.text?.trim())) {
    replies.push({
      type: "text",
      text: renderPrompt(promptFor(prompts, definition.prompts.unsupported), {}),
    });
  }
  return { state: { turns: state.turns + 1, messagesSeen: state.messagesSeen + messages.length }, replies };
}

function promptFor(prompts: ReadonlyMap<string, Prompt>, id: string): Prompt {
  const prompt = prompts.get(id);
  // Content validation at start-up guarantees every referenced prompt exists.
  if (!prompt) throw new Error(`prompt ${id} not loaded`);
  return prompt;
}
