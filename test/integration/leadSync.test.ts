import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { customerWebhook, newWamid } from "../../src/stories/customerWebhook.ts";
import { postgrestErrors, startFakeSupabase } from "../helpers/fakeSupabase.ts";
import {
  startTestService,
  TEST_ADMIN_TOKEN,
  type TestService,
  waitFor,
} from "../helpers/startTestService.ts";
import { TEST_PHONE_NUMBER_ID, textWebhook } from "../helpers/webhookPayloads.ts";

// Qualified leads go to Supabase through a job queued with the turn: the real @supabase/supabase-js
// client against a fake PostgREST on 127.0.0.1 that answers like Supabase.
const KEY = "sb_secret_test_0123456789abcdefghij";
let supabase: Awaited<ReturnType<typeof startFakeSupabase>>;
let svc: TestService;
before(async () => {
  supabase = await startFakeSupabase({ key: KEY });
  svc = await startTestService(
    { SUPABASE_URL: supabase.url, SUPABASE_SECRET_KEY: KEY, TURN_DEBOUNCE_MS: "50" },
    { contentDir: fileURLToPath(new URL("../stories/demo", import.meta.url)) },
  );
});
after(async () => {
  await svc.stop();
  await supabase.close();
});

async function qualify(customer: string) {
  for (const text of ["Oi", "Maria Souza", "Recife", "uns 450 reais", "Casa"]) {
    await svc.post(textWebhook({ from: customer, text }));
    await new Promise((r) => setTimeout(r, 250));
  }
  return waitFor(
    "the lead",
    async () => {
      const { rows } = await svc.db.query<{ id: number; outcome: string }>(
        "select l.id, l.outcome from leads l join conversations c on c.id = l.conversation_id where c.customer_wa_id = $1",
        [customer],
      );
      return rows[0]?.outcome === "qualified" ? rows[0] : undefined;
    },
    15_000,
  );
}

async function leadRow(id: number) {
  const { rows } = await svc.db.query<{
    sync_status: string | null;
    sync_error: string | null;
    sync_attempts: number;
  }>("select sync_status, sync_error, sync_attempts from leads where id = $1", [id]);
  return rows[0];
}

test("a qualified lead is upserted into Supabase by our lead id, after a 503 retried with backoff", async () => {
  supabase.fail(postgrestErrors.unavailable);
  const lead = await qualify("5581977770001");
  const row = await waitFor("lead in Supabase", async () => supabase.rows.get(lead.id), 20_000);
  assert.equal(row.outcome, "qualified");
  assert.equal(row.name, "Maria Souza");
  assert.equal(row.city, "Recife");
  assert.equal(row.monthly_bill_brl, 450);
  assert.equal(row.wa_id, "5581977770001");
  assert.deepEqual(row.slots, {
    name: "Maria Souza",
    city: "Recife",
    monthly_bill_brl: 450,
    property_type: "casa",
  });
  const state = await waitFor("synced", async () =>
    (await leadRow(lead.id))?.sync_status === "synced" ? leadRow(lead.id) : undefined,
  );
  assert.equal(state?.sync_attempts, 2, "one 503, then success");
  const posts = supabase.requests.filter((r) => r.method === "POST");
  assert.equal(posts.length, 2);
  assert.match(String(posts[0]?.path), /^\/rest\/v1\/leads\?on_conflict=id/);
  assert.equal(posts[0]?.headers.apikey, KEY, "the secret key travels in the apikey header");
});

test("a permission error is not retried: the lead is marked failed, listed by the admin API, and retried from it", async () => {
  supabase.fail(postgrestErrors.permissionDenied);
  const lead = await qualify("5581977770002");
  const state = await waitFor("failed", async () =>
    (await leadRow(lead.id))?.sync_status === "failed" ? leadRow(lead.id) : undefined,
  );
  assert.match(String(state?.sync_error), /403 42501: permission denied for table leads \(hint: Grant/);
  assert.equal(supabase.rows.has(lead.id), false);
  const listed = await fetch(`${svc.url}/admin/leads?sync=failed`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  const body = (await listed.json()) as { leads: { id: number }[] };
  assert.ok(body.leads.some((l) => Number(l.id) === lead.id));
  const retry = await fetch(`${svc.url}/admin/leads/${lead.id}/sync`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  assert.equal(retry.status, 202);
  await waitFor("synced after the retry", async () => supabase.rows.get(lead.id));
  assert.equal((await leadRow(lead.id))?.sync_status, "synced");
});

test("erasing a contact (LGPD) leaves nothing identifiable here or in Supabase; the consent record stays, anonymous", async () => {
  const customer = "5581977770003";
  for (const text of ["Oi", "Josefina Quaresma", "PARAR", "moro em Recife mesmo", "uns 450 reais", "Casa"]) {
    await svc.post(textWebhook({ from: customer, text, name: "Josefina Q." }));
    await new Promise((r) => setTimeout(r, 250));
  }
  const lead = await waitFor(
    "lead synced",
    async () => {
      const { rows } = await svc.db.query<{ id: number; sync_status: string }>(
        "select l.id, l.sync_status from leads l join conversations c on c.id = l.conversation_id where c.customer_wa_id = $1",
        [customer],
      );
      return rows[0]?.sync_status === "synced" ? rows[0] : undefined;
    },
    15_000,
  );
  assert.ok(supabase.rows.has(Number(lead.id)));
  // A bill PDF too: downloaded from the sandbox and read by the media job, then erased with the rest.
  const bill = readFileSync(new URL("../../../shared/fixtures/bills/bill_04_pdf_text.pdf", import.meta.url));
  await svc.db.query(
    "insert into sandbox_media (id, mime_type, sha256, filename, bytes) values ('880077660001', 'application/pdf', '', 'conta.pdf', $1)",
    [bill],
  );
  await svc.post(
    customerWebhook(
      {
        phoneNumberId: TEST_PHONE_NUMBER_ID,
        displayPhoneNumber: "15550783881",
        waId: customer,
        name: "Josefina Q.",
      },
      [
        {
          message: {
            type: "document",
            mediaId: "880077660001",
            mimeType: "application/pdf",
            bytes: bill,
            caption: "conta da Josefina",
          },
          at: new Date(),
          wamid: newWamid(),
        },
      ],
    ),
  );
  await waitFor("the bill read", async () => {
    const { rows } = await svc.db.query("select status from media where wa_media_id = '880077660001'");
    return rows[0]?.status === "ready" ? true : undefined;
  });
  // The sandbox reports delivered/read like Meta, a moment after each send: let them arrive first
  // (a status webhook arriving after the erasure is a known limit, see the README).
  await waitFor("every reply read", async () => {
    const { rows } = await svc.db.query<{ n: number }>(
      `select count(*)::int as n from outbox o join conversations c on c.id = o.conversation_id
        where c.customer_wa_id = $1 and o.status <> 'read'`,
      [customer],
    );
    return rows[0]?.n === 0 ? true : undefined;
  });
  const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  assert.equal(
    (await fetch(`${svc.url}/admin/contacts/${customer}`, { method: "DELETE" })).status,
    401,
    "admin only",
  );
  const erased = await fetch(`${svc.url}/admin/contacts/${customer}`, { method: "DELETE", headers: auth });
  assert.equal(erased.status, 200);
  await waitFor("erased in Supabase", async () =>
    supabase.rows.has(Number(lead.id)) ? undefined : true,
  ).catch(async (err: unknown) => {
    const jobs = await svc.db.query("select task_identifier, attempts, last_error from graphile_worker.jobs");
    throw new Error(
      `${String(err)} ${JSON.stringify(jobs.rows)} ${JSON.stringify(supabase.requests.map((r) => [r.method, r.path]))} ${await erased.text()}`,
    );
  });

  // Every row of every table of ours and of the queue, and every raw webhook body, as text.
  const patterns = [`%${customer}%`, "%977770003%", "%josefina%", "%quaresma%", "%moro em recife mesmo%"];
  const { rows: tables } = await svc.db.query<{ name: string }>(
    `select format('%I.%I', table_schema, table_name) as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema in ('public', 'graphile_worker')`,
  );
  const found: string[] = [];
  for (const { name } of tables) {
    const { rows } = await svc.db.query<{ n: number }>(
      `select count(*)::int as n from ${name} x where x::text ilike any($1::text[])`,
      [patterns],
    );
    if ((rows[0]?.n ?? 0) > 0) found.push(`${name}: ${rows[0]?.n}`);
  }
  const raw = await svc.db.query<{ n: number }>(
    "select count(*)::int as n from webhook_events where convert_from(raw_body, 'UTF8') ilike any($1::text[])",
    [patterns],
  );
  if ((raw.rows[0]?.n ?? 0) > 0) found.push(`webhook_events raw bodies: ${raw.rows[0]?.n}`);
  assert.deepEqual(found, [], "nothing identifiable left");
  const files = await svc.db.query(
    "select (select count(*)::int from media) as media, (select count(*)::int from sandbox_media where id = '880077660001') as uploaded",
  );
  assert.deepEqual(files.rows[0], { media: 0, uploaded: 0 }, "the bill file and its reading are gone");
  const consent = await svc.db.query(
    `select e.opted_out, e.source, e.detail from consent_events e join conversations c on c.id = e.conversation_id
      where c.customer_key like 'erased:%'`,
  );
  assert.deepEqual(
    consent.rows,
    [{ opted_out: true, source: "keyword", detail: null }],
    "the anonymous consent record",
  );
  assert.equal(
    (await fetch(`${svc.url}/admin/contacts/${customer}`, { method: "DELETE", headers: auth })).status,
    404,
  );
});
