import type pg from "pg";
import type { Logger } from "pino";
import { computeVars } from "../agents/runtime/computeVars.ts";
import { readAgentState } from "../agents/runtime/decideTurn.ts";
import type { LoadedAgent } from "../content/loadContent.ts";
import type { Template } from "../content/parseTemplate.ts";
import { templateMessage } from "../conversation/decideReplies.ts";
import { lockConversation } from "../conversation/lockConversation.ts";
import { withTransaction } from "../db/withTransaction.ts";
import { enqueueOutboxMessage } from "../outbound/enqueueOutboxMessage.ts";
import { followUpEligible } from "./followUpEligible.ts";
import { isQuiet, nextAllowedTime } from "./quietHours.ts";

export type FollowUpDeps = {
  pool: pg.Pool;
  logger: Logger;
  agents: ReadonlyMap<string, LoadedAgent>;
  templates: ReadonlyMap<string, Template>;
  /** The conversation clock. */
  now: () => Date;
};

type Due = {
  id: number;
  conversation_id: number;
  status: string;
  agent_id: string;
  state: unknown;
  phone_number_id: string;
  recipient: string | null;
  /** Still due at the conversation clock's now (a turn may have moved it later). */
  due: boolean;
  opted_out: boolean;
  handoff: boolean;
};

/**
 * Sends the follow-ups that are due on the conversation clock: each under the conversation's turn
 * lock, read and re-checked after the lock (still due, still scheduled) against the conversation as it is now (a turn may have moved it on, the customer
 * may have opted out or been handed off), postponed again if it is quiet time, else written to the
 * outbox as a proactive template and marked sent — so never twice. Returns how many were sent.
 */
export async function fireDueFollowUps(deps: FollowUpDeps, limit = 100): Promise<number> {
  const now = deps.now();
  const { rows } = await deps.pool.query<{ id: number }>(
    "select id from follow_ups where status = 'scheduled' and due_at <= $1 order by due_at limit $2",
    [now, limit],
  );
  let sent = 0;
  for (const { id } of rows) {
    const outcome = await withTransaction(deps.pool, async (db) => {
      const owner = await db.query<{ conversation_id: number }>(
        "select conversation_id from follow_ups where id = $1",
        [id],
      );
      const conversationId = owner.rows[0]?.conversation_id;
      if (conversationId === undefined) return "gone";
      // Everything is read after the lock: a turn that committed meanwhile may have re-armed the
      // follow-up for later, or the customer may have opted out or been handed off.
      await lockConversation(db, conversationId);
      const found = await db.query<Due>(
        `select f.id, f.conversation_id, f.status, f.due_at <= $2 as due, c.agent_id, c.state, c.phone_number_id,
                coalesce(c.customer_wa_id, c.customer_user_id) as recipient,
                c.opted_out_at is not null as opted_out,
                (c.handoff_at is not null or c.taken_by is not null) as handoff
           from follow_ups f join conversations c on c.id = f.conversation_id where f.id = $1 for update of f`,
        [id, now],
      );
      const f = found.rows[0];
      if (f?.status !== "scheduled") return "gone";
      if (!f.due) return "not due any more";
      const agent = deps.agents.get(f.agent_id);
      const state = agent ? readAgentState(agent.definition, f.state) : undefined;
      const cancel = async (reason: string) => {
        await db.query(
          "update follow_ups set status = 'cancelled', reason = $2, updated_at = now() where id = $1",
          [id, reason],
        );
        return reason;
      };
      if (!agent || !state || !agent.definition.follow_up) return cancel("agent has no follow-up");
      if (f.opted_out) return cancel("contact opted out");
      if (f.handoff) return cancel("conversation handed off");
      if (!f.recipient) return cancel("no recipient id");
      if (!followUpEligible(agent.definition, state)) return cancel(`not eligible in state ${state.state}`);
      if (isQuiet(now, agent.definition.quiet_hours)) {
        await db.query("update follow_ups set due_at = $2, updated_at = now() where id = $1", [
          id,
          nextAllowedTime(now, agent.definition.quiet_hours),
        ]);
        return "postponed (quiet hours)";
      }
      const { follow_up: rule } = agent.definition;
      const vars = computeVars(agent.definition, state);
      const outboxId = await enqueueOutboxMessage(db, {
        conversationId: f.conversation_id,
        turnId: null,
        phoneNumberId: f.phone_number_id,
        recipient: f.recipient,
        message: templateMessage(
          deps.templates,
          rule.template.name,
          rule.template.params.map((p) => vars[p] ?? ""),
        ),
        proactive: true,
        author: "follow_up",
      });
      await db.query(
        "update follow_ups set status = 'sent', outbox_id = $2, updated_at = now() where id = $1",
        [id, outboxId],
      );
      return "sent";
    });
    if (outcome === "sent") sent++;
    deps.logger.info({ followUpId: id, outcome }, "follow-up");
  }
  return sent;
}
