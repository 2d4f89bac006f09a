import type pg from "pg";
import type { AgentDefinition } from "../agents/runtime/agentDefinition.ts";
import { readAgentState } from "../agents/runtime/decideTurn.ts";
import type { AgentState } from "../agents/runtime/transition.ts";
import { lockConversation } from "../conversation/lockConversation.ts";
import { withTransaction } from "../db/withTransaction.ts";
import { recordOperatorEvent } from "./recordOperatorEvent.ts";

export type TakeOverResult =
  | { kind: "taken"; takenBy: string }
  | { kind: "busy"; takenBy: string }
  | { kind: "no_conversation" };

/**
 * An operator takes the conversation: from now on the bot reads the customer's messages and says
 * nothing (runTurn), follow-ups are cancelled. One operator at a time: a second one is told who
 * has it. It waits for a turn already running (the turn's lock): what that turn decided is sent and
 * shows in the history, and no turn starts after this one commits without seeing the takeover.
 */
export async function takeOver(
  pool: pg.Pool,
  conversationId: number,
  operator: string,
): Promise<TakeOverResult> {
  return withTransaction(pool, async (db) => {
    await lockConversation(db, conversationId, 15_000);
    const { rows } = await db.query<{ taken_by: string | null }>(
      "select taken_by from conversations where id = $1 for update",
      [conversationId],
    );
    const row = rows[0];
    if (!row) return { kind: "no_conversation" };
    if (row.taken_by !== null && row.taken_by !== operator) return { kind: "busy", takenBy: row.taken_by };
    if (row.taken_by === null) {
      await db.query(
        "update conversations set taken_by = $2, taken_at = now(), updated_at = now() where id = $1",
        [conversationId, operator],
      );
      await recordOperatorEvent(db, { conversationId, operator, action: "take_over" });
      // A reminder from the bot while a person is talking to the customer would be odd.
      await db.query(
        `update follow_ups set status = 'cancelled', reason = 'taken over by an operator', updated_at = now()
          where conversation_id = $1 and status = 'scheduled'`,
        [conversationId],
      );
    }
    return { kind: "taken", takenBy: operator };
  });
}

export type GiveBackResult =
  | { kind: "given_back" }
  | { kind: "not_yours"; takenBy: string }
  | { kind: "no_conversation" };

/**
 * The operator gives the conversation back to the bot: the hand-off flag is cleared and an agent
 * that had handed off resumes from its first question, with what the customer already told kept
 * (the next message is read against the slots). An opted-out contact stays opted out.
 */
export async function giveBack(
  pool: pg.Pool,
  agents: ReadonlyMap<string, { definition: AgentDefinition }>,
  conversationId: number,
  operator: string,
): Promise<GiveBackResult> {
  return withTransaction(pool, async (db) => {
    const { rows } = await db.query<{ taken_by: string | null; agent_id: string; state: unknown }>(
      "select taken_by, agent_id, state from conversations where id = $1 for update",
      [conversationId],
    );
    const row = rows[0];
    if (!row) return { kind: "no_conversation" };
    if (row.taken_by !== null && row.taken_by !== operator)
      return { kind: "not_yours", takenBy: row.taken_by };
    const def = agents.get(row.agent_id)?.definition;
    const state = def ? resumeState(def, readAgentState(def, row.state)) : undefined;
    await db.query(
      `update conversations set taken_by = null, taken_at = null, handoff_at = null,
              state = coalesce($2::jsonb, state), updated_at = now() where id = $1`,
      [conversationId, state ? JSON.stringify(state) : null],
    );
    await recordOperatorEvent(db, { conversationId, operator, action: "give_back" });
    return { kind: "given_back" };
  });
}

/** The state the bot resumes in after a person handled the conversation. Pure. */
export function resumeState(def: AgentDefinition, s: AgentState): AgentState {
  if (!s.done || s.state === def.global.opt_out?.to) return s;
  return { ...s, state: def.initial, done: false, misses: 0 };
}
