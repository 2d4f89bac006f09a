import { z } from "zod";
import { lineOf } from "./parseAgent.ts";
import { readYaml } from "./readYaml.ts";

const routingSchema = z.strictObject({
  /** The agent a new conversation starts in. */
  default: z.string(),
  /** Per business phone number id (one WhatsApp number per product line, say). */
  phone_numbers: z.record(z.string().regex(/^\d+$/, "a phone number id (digits)"), z.string()).default({}),
  /** A new conversation whose first message is a question starts in this agent (the FAQ). */
  questions: z.string().optional(),
});

export type Routing = { default: string; phoneNumbers: Record<string, string>; questions?: string };

/**
 * `agents/routing.yaml`: which agent answers a new conversation. Pure; problems as `file:line`,
 * including agent ids that do not exist.
 */
export function parseRouting(
  text: string,
  file: string,
  agentIds: ReadonlySet<string>,
): { ok: true; routing: Routing } | { ok: false; problems: string[] } {
  const read = readYaml(text, file);
  if (!read.ok) return read;
  const { doc, lineCounter } = read;
  const parsed = routingSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map(
        (i) => `${file}:${lineOf(doc, i.path, lineCounter)}: ${i.path.join(".") || "routing"}: ${i.message}`,
      ),
    };
  }
  const problems: string[] = [];
  const known = [...agentIds].join(", ");
  if (!agentIds.has(parsed.data.default))
    problems.push(
      `${file}:${lineOf(doc, ["default"], lineCounter)}: default: no agent "${parsed.data.default}" (agents: ${known})`,
    );
  for (const [number, agent] of Object.entries(parsed.data.phone_numbers)) {
    if (!agentIds.has(agent))
      problems.push(
        `${file}:${lineOf(doc, ["phone_numbers", number], lineCounter)}: phone_numbers.${number}: no agent "${agent}" (agents: ${known})`,
      );
  }
  const questions = parsed.data.questions;
  if (questions !== undefined && !agentIds.has(questions))
    problems.push(
      `${file}:${lineOf(doc, ["questions"], lineCounter)}: questions: no agent "${questions}" (agents: ${known})`,
    );
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    routing: {
      default: parsed.data.default,
      phoneNumbers: parsed.data.phone_numbers,
      ...(questions ? { questions } : {}),
    },
  };
}

export function routeAgent(routing: Routing, phoneNumberId: string): string {
  return routing.phoneNumbers[phoneNumberId] ?? routing.default;
}
