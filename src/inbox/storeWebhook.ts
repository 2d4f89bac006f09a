import type pg from "pg";
import { withTransaction } from "../db/withTransaction.ts";
import { type AppliedStatus, applyStatusEvents } from "../delivery/applyStatusEvents.ts";
import { addJob } from "../queue/addJob.ts";
import type { InboundMessage, ParsedWebhook } from "../webhook/parseWebhook.ts";

export type StoreWebhookOptions = {
  defaultAgentId: string;
  turnDebounceMs: number;
  turnMaxAttempts: number;
};

export type StoredWebhook = {
  eventId: number;
  kinds: string[];
  newMessages: number;
  duplicateMessages: number;
  newStatuses: number;
  changes: number;
  appliedStatuses: AppliedStatus[];
  conversationIds: number[];
};

/**
 * Stores one webhook durably, in one transaction, before Meta gets its 200: the raw body, every
 * inbound message (a re-delivered wamid is a no-op), every status event, every other change, and
 * a debounced turn job per conversation that received something new.
 */
export async function storeWebhook(
  pool: pg.Pool,
  rawBody: Buffer,
  parsed: ParsedWebhook,
  options: StoreWebhookOptions,
): Promise<StoredWebhook> {
  const kinds = kindsOf(parsed);
  return withTransaction(pool, async (db) => {
    const { rows } = await db.query<{ id: number }>(
      "insert into webhook_events (raw_body, kinds, recognised) values ($1, $2, $3) returning id",
      [rawBody, kinds, parsed.recognised],
    );
    const eventId = rows[0]?.id;
    if (eventId === undefined) throw new Error("webhook_events insert returned no id");
    const result: StoredWebhook = {
      eventId,
      kinds,
      newMessages: 0,
      duplicateMessages: 0,
      newStatuses: 0,
      changes: parsed.changes.length,
      appliedStatuses: [],
      conversationIds: [],
    };
    const touched = new Set<number>();
    for (const m of parsed.messages) {
      const conversationId = await upsertConversation(db, m, options.defaultAgentId);
      const inserted = await db.query(
        `insert into inbound_messages (wa_message_id, conversation_id, webhook_event_id, type, text, sent_at, body)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (wa_message_id) do nothing`,
        [m.waMessageId, conversationId, eventId, m.type, m.text ?? null, m.sentAt, JSON.stringify(m.body)],
      );
      if (inserted.rowCount === 0) {
        result.duplicateMessages++;
        continue;
      }
      result.newMessages++;
      // The 24-hour window runs from the customer's last message, by Meta's clock.
      // Only locks the row when the window actually moves (a turn writes it only at its very end).
      await db.query(
        `update conversations set last_inbound_at = $2 where id = $1 and (last_inbound_at is null or last_inbound_at < $2)`,
        [conversationId, m.sentAt],
      );
      touched.add(conversationId);
    }
    for (const conversationId of touched) {
      await addJob(
        db,
        "conversation_turn",
        { conversationId },
        {
          delayMs: options.turnDebounceMs,
          jobKey: `turn:${conversationId}`,
          jobKeyMode: "preserve_run_at",
          maxAttempts: options.turnMaxAttempts,
        },
      );
    }
    result.conversationIds = [...touched];
    const fresh = [];
    for (const s of parsed.statuses) {
      const inserted = await db.query(
        `insert into status_events (webhook_event_id, wamid, status, status_at, recipient, callback_data, errors, body)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (wamid, status) do nothing`,
        [
          eventId,
          s.wamid,
          s.status,
          s.statusAt,
          s.recipient ?? null,
          s.callbackData ?? null,
          s.errors ? JSON.stringify(s.errors) : null,
          JSON.stringify(s.body),
        ],
      );
      if (inserted.rowCount) fresh.push(s);
    }
    result.newStatuses = fresh.length;
    result.appliedStatuses = await applyStatusEvents(db, fresh);
    for (const c of parsed.changes) {
      await db.query(
        "insert into webhook_changes (webhook_event_id, field, kind, value) values ($1, $2, $3, $4)",
        [eventId, c.field, c.kind, JSON.stringify(c.value ?? null)],
      );
    }
    return result;
  });
}

/**
 * Finds the customer's conversation by any identifier Meta gave (business-scoped user id or phone),
 * filling in identifiers that were missing, or creates it.
 */
async function upsertConversation(db: pg.PoolClient, m: InboundMessage, agentId: string): Promise<number> {
  // Read without locking: a long turn may hold this conversation, and the webhook must not wait for it.
  const found = await db.query<{
    id: number;
    customer_wa_id: string | null;
    customer_user_id: string | null;
    customer_name: string | null;
  }>(
    `select id, customer_wa_id, customer_user_id, customer_name from conversations
      where phone_number_id = $1 and (customer_key = $2 or customer_wa_id = $3 or customer_user_id = $4)
      order by id limit 1`,
    [m.phoneNumberId, m.customerKey, m.customerWaId ?? null, m.customerUserId ?? null],
  );
  const existing = found.rows[0];
  if (existing) {
    const changed =
      (m.customerWaId && m.customerWaId !== existing.customer_wa_id) ||
      (m.customerUserId && m.customerUserId !== existing.customer_user_id) ||
      (m.customerName && m.customerName !== existing.customer_name);
    if (changed) {
      await db.query(
        `update conversations set customer_wa_id = coalesce($2, customer_wa_id),
                customer_user_id = coalesce($3, customer_user_id), customer_name = coalesce($4, customer_name)
          where id = $1`,
        [existing.id, m.customerWaId ?? null, m.customerUserId ?? null, m.customerName ?? null],
      );
    }
    return existing.id;
  }
  const created = await db.query<{ id: number }>(
    `insert into conversations (phone_number_id, customer_key, customer_wa_id, customer_user_id, customer_name, agent_id)
     values ($1, $2, $3, $4, $5, $6)
     on conflict (phone_number_id, customer_key) do update set customer_name = coalesce(excluded.customer_name, conversations.customer_name)
     returning id`,
    [
      m.phoneNumberId,
      m.customerKey,
      m.customerWaId ?? null,
      m.customerUserId ?? null,
      m.customerName ?? null,
      agentId,
    ],
  );
  const id = created.rows[0]?.id;
  if (id === undefined) throw new Error("conversation upsert returned no id");
  return id;
}

function kindsOf(parsed: ParsedWebhook): string[] {
  const kinds = new Set<string>();
  if (parsed.messages.length > 0) kinds.add("message");
  if (parsed.statuses.length > 0) kinds.add("status");
  for (const c of parsed.changes) kinds.add(c.kind);
  return [...kinds].sort();
}
