import type pg from "pg";
import { type Queryable, withTransaction } from "../db/withTransaction.ts";
import { addJob } from "../queue/addJob.ts";

export type EraseResult = { conversations: number; leads: number[]; webhookBodiesRedacted: number };

/**
 * The conversations of the person behind one identifier, and all their identifiers: a phone number
 * and a business-scoped user id name the same person, possibly on several business numbers. Found
 * by exact match, then again with every identifier found, until nothing new comes up.
 */
async function samePerson(
  db: Queryable,
  customer: string,
): Promise<{ ids: number[]; identifiers: string[] }> {
  let identifiers = [customer];
  for (;;) {
    const { rows } = await db.query<{ id: number; wa_id: string | null; user_id: string | null }>(
      `select id, customer_wa_id as wa_id, customer_user_id as user_id from conversations
        where customer_wa_id = any($1::text[]) or customer_user_id = any($1::text[]) or customer_key = any($1::text[])
        order by id for update`,
      [identifiers],
    );
    const found = [
      ...new Set([
        ...identifiers,
        ...rows.flatMap((r) => [r.wa_id, r.user_id].filter((x): x is string => !!x)),
      ]),
    ];
    if (found.length === identifiers.length) return { ids: rows.map((r) => r.id), identifiers };
    identifiers = found;
  }
}

/**
 * LGPD erasure of one customer (by WhatsApp number or business-scoped user id), in one
 * transaction: their messages (in and out), delivery statuses, turns, state, lead, LLM usage,
 * follow-ups, sandbox copies and media are deleted, and every raw webhook body that mentions them
 * is redacted (a body Meta batched with other customers' messages loses those too: the parsed rows
 * of the others are kept). What stays is anonymous: the conversation row without identifiers, and
 * the consent ledger (opt-out/in, time, source) without its text — proof of consent, nobody's data.
 * Leads already in the CRM are deleted there by a queued job.
 */
export async function eraseContact(
  pool: pg.Pool,
  customer: string,
  options: { crm: boolean },
): Promise<EraseResult> {
  return withTransaction(pool, async (db) => {
    const { ids, identifiers } = await samePerson(db, customer);
    if (ids.length === 0) return { conversations: 0, leads: [], webhookBodiesRedacted: 0 };
    const media = await db.query<{ id: string }>(
      `select distinct coalesce(body->'image'->>'id', body->'document'->>'id', body->'audio'->>'id',
                                 body->'video'->>'id', body->'sticker'->>'id') as id
         from inbound_messages where conversation_id = any($1::bigint[])`,
      [ids],
    );
    const mediaIds = media.rows.flatMap((r) => (r.id ? [r.id] : []));
    const leads = await db.query<{ id: number }>(
      "delete from leads where conversation_id = any($1::bigint[]) returning id",
      [ids],
    );
    await db.query("delete from llm_usage where conversation_id = any($1::bigint[])", [ids]);
    await db.query("delete from follow_ups where conversation_id = any($1::bigint[])", [ids]);
    await db.query(
      `delete from status_events
        where wamid in (select wamid from outbox where conversation_id = any($1::bigint[]) and wamid is not null)
           or recipient = any($2::text[])`,
      [ids, identifiers],
    );
    await db.query("delete from outbox where conversation_id = any($1::bigint[])", [ids]);
    // Downloaded files (bill photos, PDFs, voice notes) and what was read from them.
    const files = await db.query<{ id: string }>(
      "delete from media where conversation_id = any($1::bigint[]) returning id",
      [ids],
    );
    const fileIds = files.rows.map((r) => r.id);
    // What Meta may re-deliver later is recognised by a salted hash of its id, not kept as such.
    await db.query(
      `insert into erased_messages (wamid_hash)
       select erased_message_hash(wa_message_id)
         from inbound_messages where conversation_id = any($1::bigint[])
       on conflict do nothing`,
      [ids],
    );
    await db.query("delete from inbound_messages where conversation_id = any($1::bigint[])", [ids]);
    // The consent ledger stays, anonymous: no text, no link to a deleted turn.
    await db.query(
      "update consent_events set detail = null, turn_id = null where conversation_id = any($1::bigint[])",
      [ids],
    );
    await db.query("delete from turns where conversation_id = any($1::bigint[])", [ids]);
    // What operators wrote or edited may quote the customer.
    await db.query("delete from operator_events where conversation_id = any($1::bigint[])", [ids]);
    await db.query(
      "delete from sandbox_messages where recipient = any($1::text[]) or ltrim(recipient, '+') = any($1::text[])",
      [identifiers],
    );
    // The per-customer pair rate bucket is keyed pair:<business number>:<recipient>, exactly.
    await db.query(
      "delete from rate_buckets where key like 'pair:%' and split_part(key, ':', 3) = any($1::text[])",
      [identifiers],
    );
    if (mediaIds.length > 0)
      await db.query("delete from sandbox_media where id = any($1::text[])", [mediaIds]);
    await db.query(
      `delete from graphile_worker._private_jobs
        where key = any(select 'turn:' || unnest($1::bigint[])::text)
           or key = any(select 'media:' || unnest($2::bigint[])::text)`,
      [ids, fileIds],
    );
    // An identifier is a whole JSON string in Meta's bodies ("wa_id":"5511…"): matched with its
    // quotes, so another customer whose number merely contains this one is left alone.
    const quoted = identifiers.map((i) => `"${i}"`);
    const redacted = await db.query(
      `update webhook_events set raw_body = convert_to('{"erased":true}', 'UTF8'),
              kinds = array_append(kinds, 'erased')
        where exists (select 1 from unnest($1::text[]) q where position(convert_to(q, 'UTF8') in raw_body) > 0)`,
      [quoted],
    );
    await db.query(
      "delete from webhook_changes w where exists (select 1 from unnest($1::text[]) q where position(q in w.value::text) > 0)",
      [quoted],
    );
    await db.query(
      `update conversations set customer_key = 'erased:' || id, customer_wa_id = null, customer_user_id = null,
              customer_name = null, state = '{}', attention_reason = null, updated_at = now()
        where id = any($1::bigint[])`,
      [ids],
    );
    const leadIds = leads.rows.map((r) => Number(r.id));
    if (options.crm) {
      for (const leadId of leadIds)
        await addJob(db, "erase_lead", { leadId }, { jobKey: `erase:${leadId}`, maxAttempts: 10 });
    }
    return { conversations: ids.length, leads: leadIds, webhookBodiesRedacted: redacted.rowCount ?? 0 };
  });
}
