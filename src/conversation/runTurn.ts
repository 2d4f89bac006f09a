import type pg from "pg";
import type { Logger } from "pino";
import { decideEcho, readEchoState } from "../agents/echoAgent.ts";
import type { LoadedAgent } from "../agents/loadAgents.ts";
import { withTransaction } from "../db/withTransaction.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import { splitText } from "../outbound/splitText.ts";
import { addJob } from "../queue/addJob.ts";
import { LIMITS } from "../whatsapp/constants.ts";
import type { OutboundMessage } from "../whatsapp/outboundMessage.ts";
import type { WhatsAppTransport } from "../whatsapp/transport.ts";

/** First key of the per-conversation advisory lock (the second is the conversation id). */
export const TURN_LOCK_NAMESPACE = 7_312_001;

export type TurnDeps = {
  pool: pg.Pool;
  logger: Logger;
  agents: ReadonlyMap<string, LoadedAgent>;
  transport: WhatsAppTransport;
  metrics: Metrics;
  now: () => Date;
  /** Bound on one attempt; past it the transaction is abandoned and the job retried. */
  timeoutMs: number;
};

export type TurnResult =
  | { kind: "no_conversation" }
  | { kind: "nothing_pending" }
  | { kind: "done"; turnId: number; inbound: number; outbox: number[] };

type ConversationRow = {
  id: number;
  phone_number_id: string;
  customer_wa_id: string | null;
  customer_user_id: string | null;
  agent_id: string;
  state: unknown;
};
type PendingRow = { id: number; wa_message_id: string; type: string; text: string | null; received_at: Date };

/**
 * One turn of one conversation: lock it, take its unprocessed inbound messages in order, let the
 * agent decide, and in the same transaction store the new state, mark the messages processed and
 * write the replies to the outbox (with a send job each). It never sends a message itself.
 */
export async function runTurn(deps: TurnDeps, conversationId: number): Promise<TurnResult> {
  const startedAt = deps.now();
  const log = deps.logger.child({ conversationId });
  await showTyping(deps, conversationId, log);
  const result = await withTransaction(deps.pool, async (db): Promise<TurnResult> => {
    // Every wait and statement of this attempt is bounded, so a stuck turn (a lock never released,
    // a hung database) fails and is retried instead of holding a worker slot forever.
    await db.query(`select set_config('lock_timeout', $1, true), set_config('statement_timeout', $1, true)`, [
      `${deps.timeoutMs}ms`,
    ]);
    // An advisory lock, not a row lock, serialises turns of one conversation across workers and
    // replicas: webhooks keep writing to the conversation while a (long) turn runs.
    await db.query("select pg_advisory_xact_lock($1, $2)", [
      TURN_LOCK_NAMESPACE,
      conversationId % 2147483647,
    ]);
    const conv = await db.query<ConversationRow>(
      `select id, phone_number_id, customer_wa_id, customer_user_id, agent_id, state
         from conversations where id = $1`,
      [conversationId],
    );
    const conversation = conv.rows[0];
    if (!conversation) return { kind: "no_conversation" };
    const pending = await db.query<PendingRow>(
      `select id, wa_message_id, type, text, received_at from inbound_messages
        where conversation_id = $1 and processed_at is null
        order by sent_at, id`,
      [conversationId],
    );
    if (pending.rows.length === 0) return { kind: "nothing_pending" };
    const agent = deps.agents.get(conversation.agent_id) ?? deps.agents.values().next().value;
    if (!agent) throw new Error("no agent loaded");
    const before = readEchoState(conversation.state);
    const decision = decideEcho(
      agent.definition,
      before,
      pending.rows.map((r) => ({ waMessageId: r.wa_message_id, type: r.type, text: r.text })),
    );
    const turn = await db.query<{ id: number }>(
      `insert into turns (conversation_id, agent_id, agent_version, inbound_ids, state_before, state_after, started_at)
       values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [
        conversationId,
        agent.definition.id,
        `${agent.definition.version}+${agent.hash}`,
        pending.rows.map((r) => r.id),
        JSON.stringify(before),
        JSON.stringify(decision.state),
        startedAt,
      ],
    );
    const turnId = turn.rows[0]?.id;
    if (turnId === undefined) throw new Error("turn insert returned no id");
    await db.query(
      "update inbound_messages set processed_at = now(), turn_id = $2 where id = any($1::bigint[])",
      [pending.rows.map((r) => r.id), turnId],
    );
    await db.query(
      `update conversations set state = $2, agent_id = $3, agent_version = $4, updated_at = now() where id = $1`,
      [
        conversationId,
        JSON.stringify(decision.state),
        agent.definition.id,
        `${agent.definition.version}+${agent.hash}`,
      ],
    );
    const recipient = conversation.customer_wa_id ?? conversation.customer_user_id;
    const outbox: number[] = [];
    if (recipient) {
      for (const message of decision.replies.flatMap(splitLongText)) {
        const row = await db.query<{ id: number }>(
          `insert into outbox (conversation_id, turn_id, seq, phone_number_id, recipient, kind, payload)
           values ($1, $2, (select coalesce(max(seq), 0) + 1 from outbox where conversation_id = $1), $3, $4, $5, $6)
           returning id`,
          [
            conversationId,
            turnId,
            conversation.phone_number_id,
            recipient,
            message.type,
            JSON.stringify(message),
          ],
        );
        const outboxId = row.rows[0]?.id;
        if (outboxId === undefined) throw new Error("outbox insert returned no id");
        outbox.push(outboxId);
        await addJob(db, "send_message", { outboxId }, { jobKey: `send:${outboxId}` });
      }
    } else if (decision.replies.length > 0) {
      log.warn("conversation has no recipient id; replies dropped");
    }
    for (const r of pending.rows) {
      deps.metrics.inboxLag.observe((startedAt.getTime() - r.received_at.getTime()) / 1000);
    }
    return { kind: "done", turnId, inbound: pending.rows.length, outbox };
  });
  if (result.kind === "done") {
    const seconds = (deps.now().getTime() - startedAt.getTime()) / 1000;
    deps.metrics.turnDuration.observe(seconds);
    log.info(
      { turnId: result.turnId, inbound: result.inbound, replies: result.outbox.length, seconds },
      "turn done",
    );
  }
  return result;
}

function splitLongText(message: OutboundMessage): OutboundMessage[] {
  if (message.type !== "text" || message.text.length <= LIMITS.textBody) return [message];
  return splitText(message.text, LIMITS.textBody).map((text, i) => ({
    ...message,
    text,
    ...(i > 0 ? { replyTo: undefined } : {}),
  }));
}

/**
 * Marks the newest pending message read and shows the typing indicator while the turn runs.
 * Best effort: the customer's reply must not depend on a read receipt.
 */
async function showTyping(deps: TurnDeps, conversationId: number, log: Logger): Promise<void> {
  const { rows } = await deps.pool.query<{ wa_message_id: string; phone_number_id: string }>(
    `select m.wa_message_id, c.phone_number_id from inbound_messages m join conversations c on c.id = m.conversation_id
      where m.conversation_id = $1 and m.processed_at is null and m.type not in ('reaction', 'revoke', 'edit', 'system')
      order by m.sent_at desc, m.id desc limit 1`,
    [conversationId],
  );
  const last = rows[0];
  if (!last) return;
  try {
    await deps.transport.markRead({
      phoneNumberId: last.phone_number_id,
      wamid: last.wa_message_id,
      typing: true,
    });
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, "mark-as-read failed");
  }
}
