import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startTestService, type TestService, waitFor } from "../helpers/startTestService.ts";
import { textWebhook, uniqueWamid } from "../helpers/webhookPayloads.ts";

// Meta re-delivers a webhook it thinks we missed, for days. After an erasure, such a re-delivery
// of the erased customer's message is acknowledged and dropped: it does not start the
// conversation again, and its raw body is not kept.
let svc: TestService;
before(async () => {
  svc = await startTestService({ TURN_DEBOUNCE_MS: "50" });
});
after(async () => {
  await svc.stop();
});

test("a re-delivered message of an erased contact is acknowledged, dropped, and its body redacted", async () => {
  const customer = "5521944440001";
  const id = uniqueWamid("erase");
  const webhook = textWebhook({ from: customer, text: "meu CPF é 123.456.789-09", id });
  assert.equal((await svc.post(webhook)).status, 200);
  await waitFor("the turn", async () => {
    const { rows } = await svc.db.query(
      "select 1 from inbound_messages m join conversations c on c.id = m.conversation_id where c.customer_wa_id = $1 and m.processed_at is not null",
      [customer],
    );
    return rows.length > 0 ? true : undefined;
  });
  const erased = await svc.admin(`/admin/contacts/${customer}`, { method: "DELETE" });
  assert.equal(erased.status, 200);
  const before = await svc.db.query<{ n: number }>(
    "select coalesce(max(id), 0)::int as n from webhook_events",
  );
  // The same webhook again, as Meta re-delivers it.
  assert.equal((await svc.post(webhook)).status, 200);
  await new Promise((r) => setTimeout(r, 300));
  const conversations = await svc.db.query("select 1 from conversations where customer_wa_id = $1", [
    customer,
  ]);
  assert.equal(conversations.rowCount, 0, "no conversation started again");
  const messages = await svc.db.query("select 1 from inbound_messages where wa_message_id = $1", [id]);
  assert.equal(messages.rowCount, 0, "the message is not stored");
  const bodies = await svc.db.query<{ n: number }>(
    "select count(*)::int as n from webhook_events where position(convert_to($1, 'UTF8') in raw_body) > 0",
    [id],
  );
  // (Status webhooks of our replies that arrive after an erasure are a known limit, see the README.)
  assert.equal(bodies.rows[0]?.n, 0, "no raw body with the erased message");
  const redacted = await svc.db.query<{ n: number }>(
    "select count(*)::int as n from webhook_events where id > $1 and 'erased' = any(kinds)",
    [before.rows[0]?.n ?? 0],
  );
  assert.equal(redacted.rows[0]?.n, 1, "the delivery itself is recorded, redacted");
  // A new message of the same number (a new wamid) is a new conversation, as it should be.
  assert.equal((await svc.post(textWebhook({ from: customer, text: "oi de novo" }))).status, 200);
  await waitFor("a new conversation", async () => {
    const { rows } = await svc.db.query("select 1 from conversations where customer_wa_id = $1", [customer]);
    return rows.length > 0 ? true : undefined;
  });
});

test("erasure follows every identifier of the person, on every business number, and matches them exactly", async () => {
  const person = "5521944440010";
  const userId = "BR.9f8e7d6c5b4a";
  // Another customer whose number merely contains the person's.
  const neighbour = `${person}1`;
  const processed = (who: string) =>
    waitFor(`${who}'s turn`, async () => {
      const { rows } = await svc.db.query(
        "select 1 from inbound_messages m join conversations c on c.id = m.conversation_id where c.customer_wa_id = $1 and m.processed_at is not null",
        [who],
      );
      return rows.length > 0 ? true : undefined;
    });
  assert.equal((await svc.post(textWebhook({ from: person, text: "oi, número 1" }))).status, 200);
  assert.equal(
    (await svc.post(textWebhook({ from: person, text: "oi, número 2" }, "106540352242999"))).status,
    200,
  );
  assert.equal((await svc.post(textWebhook({ from: neighbour, text: "sou outro cliente" }))).status, 200);
  await processed(person);
  await processed(neighbour);
  // On the second number the platform also told us the person's business-scoped user id; on a
  // third, only that id is known.
  await svc.db.query(
    "update conversations set customer_user_id = $2 where customer_wa_id = $1 and phone_number_id = '106540352242999'",
    [person, userId],
  );
  await svc.db.query(
    `insert into conversations (phone_number_id, customer_key, customer_user_id, customer_name, agent_id)
     values ('106540352242888', $1, $1, 'Pessoa', 'echo')`,
    [userId],
  );
  const erased = await svc.admin(`/admin/contacts/${person}`, { method: "DELETE" });
  assert.equal(erased.status, 200);
  const left = await svc.db.query(
    "select 1 from conversations where customer_wa_id = $1 or customer_user_id = $2 or customer_key in ($1, $2)",
    [person, userId],
  );
  assert.equal(left.rowCount, 0, "no conversation of the person keeps an identifier");
  const neighbourRows = await svc.db.query<{ n: number }>(
    `select count(*)::int as n from inbound_messages m join conversations c on c.id = m.conversation_id
      where c.customer_wa_id = $1`,
    [neighbour],
  );
  assert.equal(neighbourRows.rows[0]?.n, 1, "the neighbour's message stays");
  const neighbourBodies = await svc.db.query<{ n: number }>(
    "select count(*)::int as n from webhook_events where position(convert_to($1, 'UTF8') in raw_body) > 0",
    [`"${neighbour}"`],
  );
  assert.ok((neighbourBodies.rows[0]?.n ?? 0) > 0, "the neighbour's raw webhook is not redacted");
  const personBodies = await svc.db.query<{ n: number }>(
    "select count(*)::int as n from webhook_events where position(convert_to($1, 'UTF8') in raw_body) > 0",
    [`"${person}"`],
  );
  assert.equal(personBodies.rows[0]?.n, 0, "no raw body names the person");
});
