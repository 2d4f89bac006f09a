import type pg from "pg";
import { type Queryable, withTransaction } from "../db/withTransaction.ts";
import { actOnFailedStatuses } from "../delivery/actOnFailedStatuses.ts";
import { applyStatusEvents } from "../delivery/applyStatusEvents.ts";
import { SEND_PRIORITY } from "../queue/addJob.ts";
import { recordTemplateFacts } from "../templates/recordTemplateFacts.ts";
import { templateFactFromChange } from "../templates/templateEvents.ts";
import type { InboundMessage, ParsedWebhook } from "../webhook/parseWebhook.ts";

export type StoreWebhookOptions = {
  /** The agent a new conversation starts in (agents/routing.yaml), by the business number written to. */
  routeAgent: (phoneNumberId: string) => string;
  turnDebounceMs: number;
  turnMaxAttempts: number;
  /** A failure Meta reports by status webhook is retried like a send call's (SEND_RETRY_BASE_MS / MAX_MS). */
  sendRetry?: { baseMs: number; maxMs: number };
};

export type WebhookInput = { rawBody: Buffer; parsed: ParsedWebhook };

export type StoredWebhook = {
  eventId: number;
  kinds: string[];
  newMessages: number;
  duplicateMessages: number;
  newStatuses: number;
  changes: number;
};

/** One webhook, one transaction (the sandbox and tests use this directly). */
export async function storeWebhook(
  pool: pg.Pool,
  rawBody: Buffer,
  parsed: ParsedWebhook,
  options: StoreWebhookOptions,
): Promise<StoredWebhook> {
  const [stored] = await storeWebhooks(pool, [{ rawBody, parsed }], options);
  if (!stored) throw new Error("webhook not stored");
  return stored;
}

/**
 * Stores webhooks durably, all in one transaction, before Meta gets its 200s: raw bodies, every
 * inbound message (a re-delivered wamid is a no-op), every status event, every other change, and a
 * debounced turn job per conversation that received something new. Each step is one set-based
 * statement for the whole batch, so concurrent webhooks share round trips and one commit.
 */
export async function storeWebhooks(
  pool: pg.Pool,
  inputs: WebhookInput[],
  options: StoreWebhookOptions,
): Promise<StoredWebhook[]> {
  return withTransaction(pool, async (db) => {
    const results: StoredWebhook[] = inputs.map((input) => ({
      eventId: 0,
      kinds: kindsOf(input.parsed),
      newMessages: 0,
      duplicateMessages: 0,
      newStatuses: 0,
      changes: input.parsed.changes.length,
    }));
    // Ids are drawn first so each webhook knows its own; one round trip for the whole batch.
    const ids = await db.query<{ id: number }>(
      `with x as (
         select nextval(pg_get_serial_sequence('webhook_events', 'id'))::bigint as id, raw, kinds, recognised, n
           from unnest($1::bytea[], $2::json[], $3::boolean[]) with ordinality as u(raw, kinds, recognised, n)),
       ins as (
         insert into webhook_events (id, raw_body, kinds, recognised)
         select id, raw, array(select json_array_elements_text(kinds)), recognised from x)
       select id from x order by n`,
      [
        inputs.map((i) => i.rawBody),
        results.map((r) => JSON.stringify(r.kinds)),
        inputs.map((i) => i.parsed.recognised),
      ],
    );
    results.forEach((r, i) => {
      r.eventId = ids.rows[i]?.id ?? 0;
    });
    await storeMessages(db, inputs, results, options);
    await storeStatuses(db, inputs, results, options.sendRetry ?? DEFAULT_SEND_RETRY);
    const changes = inputs.flatMap((input, i) =>
      input.parsed.changes.map((c) => ({ eventId: results[i]?.eventId ?? 0, c })),
    );
    if (changes.length > 0) {
      await db.query(
        `insert into webhook_changes (webhook_event_id, field, kind, value)
         select * from unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[])`,
        [
          changes.map((x) => x.eventId),
          changes.map((x) => x.c.field),
          changes.map((x) => x.c.kind),
          changes.map((x) => JSON.stringify(x.c.value ?? null)),
        ],
      );
    }
    // Template approval, quality and category changes take effect at once (sending checks them).
    const facts = changes.flatMap((x) => {
      const fact = templateFactFromChange(x.c.field, x.c.value);
      return fact ? [fact] : [];
    });
    if (facts.length > 0) await recordTemplateFacts(db, facts, "webhook");
    return results;
  });
}

type Located = { message: InboundMessage; index: number };

/**
 * Messages of a contact erased since (Meta re-delivers for days): acknowledged and dropped, and the
 * raw body that carried them redacted like the erasure redacted the others.
 */
async function erasedAmong(
  db: Queryable,
  messages: Located[],
  results: StoredWebhook[],
): Promise<Set<string>> {
  const { rows } = await db.query<{ wamid: string }>(
    `select w as wamid from unnest($1::text[]) w
      where exists (select 1 from erased_messages e
                     where e.wamid_hash = erased_message_hash(w))`,
    [messages.map((m) => m.message.waMessageId)],
  );
  const erased = new Set(rows.map((r) => r.wamid));
  const events = [
    ...new Set(
      messages.filter((m) => erased.has(m.message.waMessageId)).map((m) => results[m.index]?.eventId ?? 0),
    ),
  ];
  if (events.length > 0)
    await db.query(
      `update webhook_events set raw_body = convert_to('{"erased":true}', 'UTF8'), kinds = array_append(kinds, 'erased')
        where id = any($1::bigint[])`,
      [events],
    );
  return erased;
}

async function storeMessages(
  db: Queryable,
  inputs: WebhookInput[],
  results: StoredWebhook[],
  options: StoreWebhookOptions,
): Promise<void> {
  const all: Located[] = inputs.flatMap((input, index) =>
    input.parsed.messages.map((message) => ({ message, index })),
  );
  if (all.length === 0) return;
  const erased = await erasedAmong(db, all, results);
  const messages = all.filter((m) => !erased.has(m.message.waMessageId));
  if (messages.length === 0) return;
  const conversationOf = await resolveConversations(
    db,
    messages.map((m) => m.message),
    options.routeAgent,
  );
  // Insert, move the 24-hour window and add one debounced turn job per conversation, in one
  // statement. The window runs from the customer's last message by Meta's clock; only rows whose
  // window moves are locked (a long turn must never make a webhook wait). The first message of a
  // burst sets when its turn runs (preserve run_at).
  const inserted = await db.query<{ wa_message_id: string }>(
    `with ins as (
       insert into inbound_messages (wa_message_id, conversation_id, webhook_event_id, type, text, sent_at, body)
       select * from unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[])
       on conflict (wa_message_id) do nothing
       returning id, wa_message_id, conversation_id, sent_at, type, body),
     -- Media (a bill photo or PDF, a voice note) is downloaded and read by a job, never here.
     med as (
       insert into media (inbound_message_id, conversation_id, kind, wa_media_id, declared_mime)
       select id, conversation_id, type, body->type->>'id', body->type->>'mime_type' from ins
        where type in ('image', 'document', 'audio') and body->type->>'id' is not null
       returning id),
     media_jobs as (
       select graphile_worker.add_jobs(array(
         select row('process_media', json_build_object('mediaId', id), null, null, 5, 'media:' || id, null, null)
                  ::graphile_worker.job_spec
           from med order by id)) as added),
     latest as (select conversation_id as id, max(sent_at) as t from ins group by conversation_id),
     windows as (
       update conversations c set last_inbound_at = latest.t from latest
        where c.id = latest.id and (c.last_inbound_at is null or c.last_inbound_at < latest.t)
       returning c.id),
     jobs as (
       select graphile_worker.add_jobs(array(
         select row('conversation_turn', json_build_object('conversationId', id), null,
                    now() + $8::double precision * interval '1 millisecond', $9::int, 'turn:' || id, null, null
                )::graphile_worker.job_spec
           from latest order by id), true) as added)
     select wa_message_id from ins, (select count(*) from jobs) j, (select count(*) from media_jobs) mj`,
    [
      messages.map((m) => m.message.waMessageId),
      messages.map((m) => conversationOf(m.message)),
      messages.map((m) => results[m.index]?.eventId ?? 0),
      messages.map((m) => m.message.type),
      messages.map((m) => m.message.text ?? null),
      messages.map((m) => m.message.sentAt),
      messages.map((m) => JSON.stringify(m.message.body)),
      options.turnDebounceMs,
      options.turnMaxAttempts,
    ],
  );
  // A wamid that appears twice in one batch is new only the first time.
  const fresh = new Set(inserted.rows.map((r) => r.wa_message_id));
  for (const m of messages) {
    const result = results[m.index];
    if (!result) continue;
    if (!fresh.delete(m.message.waMessageId)) {
      result.duplicateMessages++;
      continue;
    }
    result.newMessages++;
  }
}

/**
 * Finds each customer's conversation by any identifier Meta gave (business-scoped user id or
 * phone), filling in identifiers that were missing, or creates it. Reads without locking.
 */
async function resolveConversations(
  db: Queryable,
  messages: InboundMessage[],
  routeAgent: (phoneNumberId: string) => string,
): Promise<(m: InboundMessage) => number> {
  const customers = new Map<string, InboundMessage>();
  for (const m of messages) {
    const key = `${m.phoneNumberId}\u0001${m.customerKey}`;
    const seen = customers.get(key);
    customers.set(key, {
      ...m,
      customerWaId: m.customerWaId ?? seen?.customerWaId,
      customerUserId: m.customerUserId ?? seen?.customerUserId,
      customerName: m.customerName ?? seen?.customerName,
    });
  }
  const list = [...customers.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, m]) => m);
  const found = await db.query<{
    n: number;
    id: number | null;
    customer_wa_id: string | null;
    customer_user_id: string | null;
    customer_name: string | null;
  }>(
    `select k.n::int as n, c.id, c.customer_wa_id, c.customer_user_id, c.customer_name
       from unnest($1::text[], $2::text[], $3::text[], $4::text[]) with ordinality as k(pn, key, wa, uid, n)
       left join lateral (
         select id, customer_wa_id, customer_user_id, customer_name from conversations c
          where c.phone_number_id = k.pn and (c.customer_key = k.key or c.customer_wa_id = k.wa or c.customer_user_id = k.uid)
          order by id limit 1) c on true
      order by k.n`,
    [
      list.map((m) => m.phoneNumberId),
      list.map((m) => m.customerKey),
      list.map((m) => m.customerWaId ?? null),
      list.map((m) => m.customerUserId ?? null),
    ],
  );
  const idOf = new Map<string, number>();
  const missing: InboundMessage[] = [];
  for (const row of found.rows) {
    const m = list[row.n - 1];
    if (!m) continue;
    if (row.id === null) {
      missing.push(m);
      continue;
    }
    idOf.set(`${m.phoneNumberId}\u0001${m.customerKey}`, row.id);
    const changed =
      (m.customerWaId && m.customerWaId !== row.customer_wa_id) ||
      (m.customerUserId && m.customerUserId !== row.customer_user_id) ||
      (m.customerName && m.customerName !== row.customer_name);
    if (changed) {
      await db.query(
        `update conversations set customer_wa_id = coalesce($2, customer_wa_id),
                customer_user_id = coalesce($3, customer_user_id), customer_name = coalesce($4, customer_name)
          where id = $1`,
        [row.id, m.customerWaId ?? null, m.customerUserId ?? null, m.customerName ?? null],
      );
    }
  }
  if (missing.length > 0) {
    const created = await db.query<{ id: number; phone_number_id: string; customer_key: string }>(
      `insert into conversations (phone_number_id, customer_key, customer_wa_id, customer_user_id, customer_name, agent_id)
       select pn, key, wa, uid, name, agent
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) as x(pn, key, wa, uid, name, agent)
       on conflict (phone_number_id, customer_key)
         do update set customer_name = coalesce(excluded.customer_name, conversations.customer_name)
       returning id, phone_number_id, customer_key`,
      [
        missing.map((m) => m.phoneNumberId),
        missing.map((m) => m.customerKey),
        missing.map((m) => m.customerWaId ?? null),
        missing.map((m) => m.customerUserId ?? null),
        missing.map((m) => m.customerName ?? null),
        missing.map((m) => routeAgent(m.phoneNumberId)),
      ],
    );
    for (const r of created.rows) idOf.set(`${r.phone_number_id}\u0001${r.customer_key}`, r.id);
  }
  return (m) => {
    const id = idOf.get(`${m.phoneNumberId}\u0001${m.customerKey}`);
    if (id === undefined) throw new Error("conversation not resolved");
    return id;
  };
}

const DEFAULT_SEND_RETRY = { baseMs: 1000, maxMs: 5 * 60_000 };

async function storeStatuses(
  db: Queryable,
  inputs: WebhookInput[],
  results: StoredWebhook[],
  sendRetry: { baseMs: number; maxMs: number },
): Promise<void> {
  const statuses = inputs.flatMap((input, index) => input.parsed.statuses.map((s) => ({ s, index })));
  if (statuses.length === 0) return;
  const inserted = await db.query<{ n: number }>(
    `insert into status_events (webhook_event_id, wamid, status, status_at, recipient, callback_data, errors, body)
     select e, w, st, t, r, cb, er, b
       from unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[])
            with ordinality as x(e, w, st, t, r, cb, er, b, n)
     on conflict (wamid, status) do nothing
     returning (select x2.n from unnest($2::text[], $3::text[]) with ordinality as x2(w, st, n)
                 where x2.w = status_events.wamid and x2.st = status_events.status limit 1)::int as n`,
    [
      statuses.map((x) => results[x.index]?.eventId ?? 0),
      statuses.map((x) => x.s.wamid),
      statuses.map((x) => x.s.status),
      statuses.map((x) => x.s.statusAt),
      statuses.map((x) => x.s.recipient ?? null),
      statuses.map((x) => x.s.callbackData ?? null),
      statuses.map((x) => (x.s.errors ? JSON.stringify(x.s.errors) : null)),
      statuses.map((x) => JSON.stringify(x.s.body)),
    ],
  );
  // In the order Meta sent them (the monotone rule makes the order matter only for equal ranks).
  const fresh = inserted.rows
    .map((r) => r.n)
    .sort((a, b) => a - b)
    .map((n) => statuses[n - 1])
    .filter((x) => x !== undefined);
  for (const x of fresh) {
    const result = results[x.index];
    if (result) result.newStatuses++;
  }
  const applied = await applyStatusEvents(
    db,
    fresh.map((x) => x.s),
  );
  await actOnFailedStatuses(db, applied, { ...sendRetry, priority: SEND_PRIORITY });
  // A send we could not confirm ourselves (its answer was lost) that Meta now reports settled:
  // the next reply of that conversation was waiting for it and can go now.
  const confirmed = applied.filter((a) => a.from === "sending").map((a) => a.outboxId);
  if (confirmed.length > 0) {
    await db.query(
      `select graphile_worker.add_jobs(array(
         select row('send_message', json_build_object('outboxId', next.id), null, null, null, 'send:' || next.id, $2::int, null)
                  ::graphile_worker.job_spec
           from outbox done
           cross join lateral (select id from outbox o where o.conversation_id = done.conversation_id and o.seq > done.seq
                                 and o.status = 'pending' order by o.seq limit 1) next
          where done.id = any($1::bigint[])))`,
      [confirmed, SEND_PRIORITY],
    );
  }
}

function kindsOf(parsed: ParsedWebhook): string[] {
  const kinds = new Set<string>();
  if (parsed.messages.length > 0) kinds.add("message");
  if (parsed.statuses.length > 0) kinds.add("status");
  for (const c of parsed.changes) kinds.add(c.kind);
  return [...kinds].sort();
}
