import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { consoleClient } from "../helpers/consoleClient.ts";
import {
  startTestService,
  TEST_ADMIN_TOKEN,
  type TestService,
  waitFor,
} from "../helpers/startTestService.ts";

const BILL = new URL("../../../shared/fixtures/bills/bill_01_clean.png", import.meta.url);
const WA = "5511987650001";

describe("operator console and simulator API (real Postgres, sandbox transport)", () => {
  let t: TestService;
  before(async () => {
    // The lead agent (no DEFAULT_AGENT), login required (a DATABASE_URL is set), simulator on.
    t = await startTestService({
      DEFAULT_AGENT: "",
      SIMULATOR: "on",
      CONSOLE_PASSWORD: "correct horse battery",
      CONSOLE_LOGIN_ATTEMPTS: "3",
      // The test client stands behind a proxy on this machine.
      TRUST_PROXY: "loopback",
    });
  });
  after(async () => {
    await t.stop();
  });

  const repliesTo = async (conversationId: number, after: number) => {
    const { rows } = await t.db.query<{
      id: number;
      author: string;
      payload: { text?: string; name?: string };
    }>("select id, author, payload from outbox where conversation_id = $1 and id > $2 order by id", [
      conversationId,
      after,
    ]);
    return rows;
  };
  const lastOutboxId = async () =>
    Number(
      (await t.db.query<{ id: string | null }>("select max(id)::text as id from outbox")).rows[0]?.id ?? 0,
    );

  it("asks for a login, refuses a wrong password clearly, limits attempts per address, and requires CSRF", async () => {
    const c = consoleClient(t.url);
    assert.equal((await c.get("/console/api/session")).status, 401);
    const page = await fetch(`${t.url}/console`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    for (let i = 0; i < 3; i++) {
      const res = await c.login("ana", "wrong", "203.0.113.9");
      assert.equal(res.status, 401);
      assert.equal(errorOf(await res.json()), "Wrong password");
    }
    const blocked = await c.login("ana", "correct horse battery", "203.0.113.9");
    assert.equal(blocked.status, 429, "even the right password waits once the address is blocked");
    const { retryAfterSec } = z.object({ retryAfterSec: z.number() }).parse(await blocked.json());
    assert.ok(retryAfterSec > 0 && retryAfterSec <= 900);
    // A spoofed leftmost X-Forwarded-For does not reset the count: the proxy's entry is the last one.
    assert.equal((await c.login("ana", "correct horse battery", "198.51.100.1, 203.0.113.9")).status, 429);
    // Strangers spraying wrong passwords from many addresses lock out only themselves: no limit
    // over all addresses together, which would refuse every operator.
    for (let i = 0; i < 40; i++) assert.equal((await c.login("x", "wrong", `198.51.100.${i}`)).status, 401);
    const ok = await c.login("ana", "correct horse battery", "203.0.113.10");
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get("set-cookie") ?? "", /HttpOnly/i);
    assert.match(ok.headers.get("set-cookie") ?? "", /SameSite=Strict/i);
    const session = await c.json("GET", "/console/api/session");
    assert.equal(session.status, 200);
    assert.equal(session.body.operator, "ana");
    assert.equal(session.body.simulator, true);
    assert.equal(session.body.transport, "sandbox");
    // Sliding expiry: a session seen over a minute ago is renewed by the next request.
    await t.db.query(
      "update console_sessions set last_seen_at = now() - interval '2 minutes', expires_at = now() + interval '1 minute' where operator = 'ana'",
    );
    assert.equal((await c.get("/console/api/session")).status, 200);
    const renewed = await t.db.query<{ hours: number }>(
      "select extract(epoch from expires_at - now()) / 3600 as hours from console_sessions where operator = 'ana'",
    );
    assert.ok(Number(renewed.rows[0]?.hours) > 11, "renewed for CONSOLE_SESSION_HOURS (12)");
    // A state-changing call without the CSRF token is refused even with the cookie.
    const forged = await fetch(`${t.url}/console/api/simulator/clock`, {
      method: "POST",
      headers: { cookie: c.cookie() ?? "", "content-type": "application/json" },
      body: JSON.stringify({ advanceMs: 1000 }),
    });
    assert.equal(forged.status, 403);
    // The admin bearer token is not a console session.
    const bearer = await fetch(`${t.url}/console/api/conversations`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    assert.equal(bearer.status, 401);
  });

  it("simulates a customer through the signed webhook path; takeover silences the bot; a second operator is told who has it; give back resumes", async () => {
    const ana = consoleClient(t.url);
    const bia = consoleClient(t.url);
    assert.equal((await ana.login("Ana", "correct horse battery", "10.0.0.1")).status, 200);
    assert.equal((await bia.login("Bia", "correct horse battery", "10.0.0.2")).status, 200);
    const sent = await ana.json<{ conversationId: number; wamid: string }>(
      "POST",
      "/console/api/simulator/messages",
      {
        waId: WA,
        name: "Cliente <b>Teste</b>",
        message: { type: "text", text: "Oi" },
      },
    );
    assert.equal(sent.status, 202);
    const id = sent.body.conversationId;
    assert.ok(id > 0);
    const webhook = await t.db.query("select count(*)::int as n from webhook_events");
    assert.ok(webhook.rows[0].n >= 1, "stored as a webhook event, like Meta's");
    const greeting = await waitFor("the greeting", async () => {
      const r = await repliesTo(id, 0);
      return r.length > 0 ? r : undefined;
    });
    assert.equal(greeting[0]?.author, "agent");
    const detail = await ana.json<{
      conversation: { customerName: string; window: { open: boolean } };
      messages: { direction: string; render: { kind: string } }[];
    }>("GET", `/console/api/conversations/${id}`);
    assert.equal(
      detail.body.conversation.customerName,
      "Cliente <b>Teste</b>",
      "text stays data; the page escapes it",
    );
    assert.equal(detail.body.conversation.window.open, true);
    assert.ok(detail.body.messages.some((m) => m.direction === "out"));

    const taken = await ana.json("POST", `/console/api/conversations/${id}/takeover`);
    assert.equal(taken.status, 200);
    const busy = await bia.json("POST", `/console/api/conversations/${id}/takeover`);
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error, "Ana already has this conversation");
    assert.equal(busy.body.takenBy, "Ana");
    const listed = await bia.json<{ conversations: { id: number; takenBy: string }[] }>(
      "GET",
      "/console/api/conversations?filter=handoff",
    );
    assert.equal(listed.body.conversations.find((c) => c.id === id)?.takenBy, "Ana");

    const mark = await lastOutboxId();
    await ana.json("POST", "/console/api/simulator/messages", {
      waId: WA,
      name: "Cliente",
      message: { type: "text", text: "Paulo Mendes" },
    });
    const silenced = await waitFor("the silent turn", async () => {
      const { rows } = await t.db.query(
        "select trace from turns where conversation_id = $1 and trace->>'silencedBy' = 'Ana'",
        [id],
      );
      return rows[0];
    });
    assert.ok(silenced);
    assert.deepEqual(
      await repliesTo(id, mark),
      [],
      "the bot says nothing while an operator has the conversation",
    );

    const reply = await ana.json<{ outboxIds: number[] }>("POST", `/console/api/conversations/${id}/reply`, {
      text: "Olá, aqui é a Ana!",
    });
    assert.equal(reply.status, 201);
    const operatorRows = await repliesTo(id, mark);
    assert.deepEqual(
      operatorRows.map((r) => [r.author, r.payload.text]),
      [["operator:Ana", "Olá, aqui é a Ana!"]],
    );

    assert.equal(
      (await bia.json("POST", `/console/api/conversations/${id}/release`)).status,
      409,
      "only the holder gives it back",
    );
    assert.equal((await ana.json("POST", `/console/api/conversations/${id}/release`)).status, 200);
    const mark2 = await lastOutboxId();
    await ana.json("POST", "/console/api/simulator/messages", {
      waId: WA,
      name: "Cliente",
      message: { type: "text", text: "Moro em Recife" },
    });
    const resumed = await waitFor("the bot again", async () => {
      const r = (await repliesTo(id, mark2)).filter((x) => x.author === "agent");
      return r.length > 0 ? r : undefined;
    });
    assert.ok(resumed.length > 0);

    // The turn inspector: state, slots and a stage timeline per turn.
    const turns = await ana.json<{
      turns: {
        stateAfter: { state: string; slots: Record<string, unknown> };
        stages: { name: string; ms: number }[];
      }[];
    }>("GET", `/console/api/conversations/${id}/turns`);
    const latest = turns.body.turns[0];
    assert.ok(latest);
    assert.equal(latest.stateAfter.slots.city, "Recife");
    const names = latest.stages.map((s) => s.name);
    for (const stage of ["queue", "decide", "write", "send"])
      assert.ok(names.includes(stage), `${stage} in ${names.join(",")}`);
  });

  it("outside the 24-hour window free text is refused and a template goes; the clock fires follow-ups", async () => {
    const c = consoleClient(t.url);
    await c.login("Ana", "correct horse battery", "10.0.0.3");
    const list = await c.json<{ conversations: { id: number; customer: string }[] }>(
      "GET",
      `/console/api/conversations?customer=${WA}`,
    );
    const id = list.body.conversations[0]?.id;
    assert.ok(id);
    const moved = await c.json<{ offsetMs: number; followUps: number }>(
      "POST",
      "/console/api/simulator/clock",
      { advanceMs: 25 * 3600 * 1000 },
    );
    assert.equal(moved.status, 200);
    assert.equal(moved.body.offsetMs, 25 * 3600 * 1000);
    assert.equal(moved.body.followUps, 1, "the 24-hour reminder became due and was sent");
    const detail = await c.json<{ conversation: { window: { open: boolean } } }>(
      "GET",
      `/console/api/conversations/${id}`,
    );
    assert.equal(detail.body.conversation.window.open, false);
    const text = await c.json("POST", `/console/api/conversations/${id}/reply`, { text: "oi?" });
    assert.equal(text.status, 409);
    assert.equal(text.body.windowClosed, true);
    const templates = await c.json<{ templates: { name: string; parameters: string[]; status: string }[] }>(
      "GET",
      "/console/api/templates",
    );
    const template = templates.body.templates.find((x) => x.parameters.length === 1);
    assert.ok(template, "a one-parameter template in the registry");
    assert.equal(template.status, "unknown");
    const tpl = await c.json("POST", `/console/api/conversations/${id}/reply`, {
      template: { name: template.name, params: ["Paulo"] },
    });
    assert.equal(tpl.status, 201);
    const missing = await c.json("POST", `/console/api/conversations/${id}/reply`, {
      template: { name: template.name, params: [] },
    });
    assert.equal(missing.status, 400);
  });

  it("refuses uploads over the limit or of a type the bot does not read, with the reason; accepts a bill photo", async () => {
    const c = consoleClient(t.url);
    await c.login("Ana", "correct horse battery", "10.0.0.4");
    const q = `waId=5511987650002&name=Maria&filename=`;
    const big = await c.send(
      "POST",
      `/console/api/simulator/media?${q}big.png`,
      Buffer.alloc(10 * 1024 * 1024 + 10),
      { "content-type": "image/png" },
    );
    assert.equal(big.status, 413);
    assert.match(errorOf(await big.json()), /too large.*limit is 10\.0 MB/);
    const txt = await c.send("POST", `/console/api/simulator/media?${q}notes.txt`, Buffer.from("hello"), {
      "content-type": "text/plain",
    });
    assert.equal(txt.status, 415);
    assert.match(errorOf(await txt.json()), /not accepted \(text\/plain\)/);
    const bill = await c.send("POST", `/console/api/simulator/media?${q}conta.png`, await readFile(BILL), {
      "content-type": "image/png",
    });
    assert.equal(bill.status, 202);
    const { conversationId } = z.object({ conversationId: z.number() }).parse(await bill.json());
    const media = await waitFor(
      "the bill read",
      async () => {
        const d = await c.json<{
          messages: { render: { kind: string; url: string | null; processing: { status: string } | null } }[];
        }>("GET", `/console/api/conversations/${conversationId}`);
        const m = d.body.messages.find((x) => x.render.kind === "media");
        return m?.render.processing?.status === "ready" ? m.render : undefined;
      },
      60_000,
    );
    assert.ok(media.url);
    const image = await c.get(media.url);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get("content-type"), "image/png");
    assert.equal(image.headers.get("content-security-policy"), "sandbox");
  });

  it("review queue: approve with an edited field makes the lead qualified once; erase removes the contact", async () => {
    const c = consoleClient(t.url);
    await c.login("Ana", "correct horse battery", "10.0.0.5");
    const conv = await t.db.query<{ id: number }>("select id from conversations where customer_wa_id = $1", [
      WA,
    ]);
    const id = conv.rows[0]?.id;
    // The agent's own path to needs_review is covered by stories 36, 37 and 42 and the browser test.
    const lead = await t.db.query<{ id: number }>(
      `insert into leads (conversation_id, agent_id, outcome, slots, details)
       values ($1, 'lead_qualification', 'needs_review', '{"name":"Paulo","monthly_bill_brl":450}', '{"review_reason":"distributor_mismatch"}')
       on conflict (conversation_id) do update set outcome = excluded.outcome, slots = excluded.slots, details = excluded.details
       returning id`,
      [id],
    );
    const leadId = lead.rows[0]?.id;
    const queue = await c.json<{ leads: { id: number; reviewReason: string }[] }>(
      "GET",
      "/console/api/leads?outcome=needs_review",
    );
    assert.equal(queue.body.leads.find((l) => l.id === leadId)?.reviewReason, "distributor_mismatch");
    const badNumber = await c.json("POST", `/console/api/leads/${leadId}/review`, {
      decision: "approve",
      fields: { monthly_bill_brl: "muito" },
    });
    assert.equal(badNumber.status, 400);
    assert.match(errorOf(badNumber.body), /monthly_bill_brl.*not a number/);
    const approved = await c.json<{ lead: { outcome: string; slots: Record<string, unknown> } }>(
      "POST",
      `/console/api/leads/${leadId}/review`,
      {
        decision: "approve",
        fields: { monthly_bill_brl: "R$ 1.234,50" },
        note: "conferido na conta",
      },
    );
    assert.equal(approved.status, 200);
    assert.equal(approved.body.lead.outcome, "qualified");
    assert.equal(approved.body.lead.slots.monthly_bill_brl, 1234.5);
    const again = await c.json("POST", `/console/api/leads/${leadId}/review`, { decision: "reject" });
    assert.equal(again.status, 409);
    const events = await t.db.query("select action, operator from operator_events where lead_id = $1", [
      leadId,
    ]);
    assert.deepEqual(events.rows, [{ action: "lead_approve", operator: "Ana" }]);

    const erased = await c.json("DELETE", `/console/api/conversations/${id}/contact`);
    assert.equal(erased.status, 200);
    assert.equal(erased.body.conversations, 1);
    const left = await t.db.query("select customer_wa_id from conversations where id = $1", [id]);
    assert.equal(left.rows[0].customer_wa_id, null);
  });

  it("an opt-out during a takeover is still recorded and confirmed; a takeover cancels the reminder", async () => {
    const c = consoleClient(t.url);
    await c.login("Ana", "correct horse battery", "10.0.0.7");
    const wa = "5511987650009";
    const sent = await c.json<{ conversationId: number }>("POST", "/console/api/simulator/messages", {
      waId: wa,
      name: "Rita",
      message: { type: "text", text: "Oi" },
    });
    const id = sent.body.conversationId;
    await waitFor("the reminder armed", async () => {
      const r = await t.db.query("select status from follow_ups where conversation_id = $1", [id]);
      return r.rows[0]?.status === "scheduled" ? true : undefined;
    });
    assert.equal((await c.json("POST", `/console/api/conversations/${id}/takeover`)).status, 200);
    const fu = await t.db.query("select status, reason from follow_ups where conversation_id = $1", [id]);
    assert.deepEqual(fu.rows, [{ status: "cancelled", reason: "taken over by an operator" }]);
    const mark = await lastOutboxId();
    await c.json("POST", "/console/api/simulator/messages", {
      waId: wa,
      name: "Rita",
      message: { type: "text", text: "parar" },
    });
    const consent = await waitFor("the opt-out recorded", async () => {
      const r = await t.db.query("select opted_out from consent_events where conversation_id = $1", [id]);
      return r.rows[0];
    });
    assert.deepEqual(consent, { opted_out: true });
    const confirmation = await waitFor("the confirmation", async () => {
      const r = (await repliesTo(id, mark)).filter((x) => x.author === "agent");
      return r.length > 0 ? r : undefined;
    });
    assert.equal(confirmation.length, 1);
    const reply = await c.json("POST", `/console/api/conversations/${id}/reply`, { text: "mas espera" });
    assert.equal(reply.status, 409, "nothing goes to a contact who opted out, operator or not");
  });

  it("a takeover waits for a turn already running: its reply is in the history when the takeover answers", async () => {
    const c = consoleClient(t.url);
    await c.login("Ana", "correct horse battery", "10.0.0.9");
    const wa = "5511987650010";
    const first = await c.json<{ conversationId: number }>("POST", "/console/api/simulator/messages", {
      waId: wa,
      name: "José",
      message: { type: "text", text: "Oi" },
    });
    const id = first.body.conversationId;
    await waitFor("the greeting", async () => ((await repliesTo(id, 0)).length > 0 ? true : undefined));
    // Hold the next turn inside its transaction (it waits to write its turn row) …
    const blocker = await t.db.connect();
    try {
      await blocker.query("begin");
      await blocker.query("lock table turns in exclusive mode");
      await c.json("POST", "/console/api/simulator/messages", {
        waId: wa,
        name: "José",
        message: { type: "text", text: "José Lima" },
      });
      await waitFor("the turn to hold its lock", async () => {
        const r = await t.db.query<{ n: number }>(
          "select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = 7312001 and granted",
        );
        return (r.rows[0]?.n ?? 0) > 0 ? true : undefined;
      });
      // … and take over meanwhile: it must not answer before that turn is done.
      let answered = false;
      const takeover = c.json("POST", `/console/api/conversations/${id}/takeover`).then((r) => {
        answered = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(answered, false, "the takeover waits for the running turn");
      await blocker.query("commit");
      const r = await takeover;
      assert.equal(r.status, 200);
    } finally {
      blocker.release();
    }
    const agentReplies = (await repliesTo(id, 0)).filter((x) => x.author === "agent");
    assert.equal(
      agentReplies.length,
      2,
      "the running turn's reply was decided before the takeover and is there",
    );
    const mark = await lastOutboxId();
    await c.json("POST", "/console/api/simulator/messages", {
      waId: wa,
      name: "José",
      message: { type: "text", text: "Recife" },
    });
    await waitFor("the silent turn", async () => {
      const q = await t.db.query(
        "select 1 from turns where conversation_id = $1 and trace->>'silencedBy' = 'Ana'",
        [id],
      );
      return q.rowCount ? true : undefined;
    });
    assert.deepEqual(await repliesTo(id, mark), []);
  });

  it("lists dead jobs and failed sends, and retries them", async () => {
    const c = consoleClient(t.url);
    await c.login("Ana", "correct horse battery", "10.0.0.11");
    // A job that fails for real (a payload the task refuses), with one attempt: it ends dead.
    const added = await t.db.query<{ id: string }>(
      `select id::text from graphile_worker.add_job('conversation_turn', '{"conversationId":"not-a-number"}'::json, max_attempts := 1)`,
    );
    const jobId = added.rows[0]?.id;
    const dead = await waitFor("the dead job", async () => {
      const r = await c.json<{ jobs: { id: string; task: string; lastError: string | null }[] }>(
        "GET",
        "/console/api/jobs/dead",
      );
      return r.body.jobs.find((j) => j.id === jobId);
    });
    assert.equal(dead.task, "conversation_turn");
    assert.match(dead.lastError ?? "", /conversationId/);
    const retried = await c.json("POST", `/console/api/jobs/${jobId}/retry`);
    assert.deepEqual([retried.status, retried.body.retried], [200, 1]);
    assert.equal((await c.json("POST", "/console/api/jobs/999999999/retry")).status, 404);
    // A send Meta refused for good: listed, and retried through the outbox.
    const conv = await t.db.query<{ id: number }>(
      "select id from conversations where customer_wa_id is not null limit 1",
    );
    const out = await t.db.query<{ id: number }>(
      `update outbox set status = 'dead', error_title = 'Re-engagement message' where id =
         (select max(id) from outbox where conversation_id = $1) returning id`,
      [conv.rows[0]?.id],
    );
    const outId = out.rows[0]?.id;
    const failed = await c.json<{ messages: { id: number; error: string }[] }>(
      "GET",
      "/console/api/outbox/failed",
    );
    assert.equal(failed.body.messages.find((m) => m.id === outId)?.error, "Re-engagement message");
    // A reply still waiting to go out after ten minutes (an outage): its age is shown.
    const stuck = await t.db.query<{ id: number }>(
      `insert into outbox (conversation_id, seq, phone_number_id, recipient, kind, payload, status, created_at)
       select conversation_id, seq + 1000, phone_number_id, recipient, kind, payload, 'sending', now() - interval '10 minutes'
         from outbox where id = $1 returning id`,
      [outId],
    );
    const waiting = await c.json<{ oldestUnsentSeconds: number }>("GET", "/console/api/outbox/failed");
    assert.ok(waiting.body.oldestUnsentSeconds >= 600, String(waiting.body.oldestUnsentSeconds));
    await t.db.query("delete from outbox where id = $1", [stuck.rows[0]?.id]);
    assert.equal((await c.json("POST", `/console/api/outbox/${outId}/retry`)).status, 200);
    assert.equal(
      (await c.json("POST", `/console/api/outbox/${outId}/retry`)).status,
      409,
      "only a failed message is retried",
    );
  });

  it("answers bad input with a clear 4xx, never a 500", async () => {
    const c = consoleClient(t.url);
    await c.login("Ana", "correct horse battery", "10.0.0.8");
    const badCookie = await fetch(`${t.url}/console/api/session`, {
      headers: { cookie: "wa_console=%E0%A4%A" },
    });
    assert.equal(badCookie.status, 401);
    const badJson = await c.send("POST", "/console/api/simulator/clock", undefined, {
      "content-type": "application/json",
    });
    assert.equal(badJson.status, 400);
    const malformed = await fetch(`${t.url}/console/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(await malformed.json()), "The request body is not valid JSON");
    assert.equal((await c.get("/console/api/conversations/424242/turns")).status, 404);
    assert.equal((await c.json("POST", "/console/api/jobs/99999999999999999999999/retry")).status, 400);
    assert.equal((await c.get("/console/api/conversations?filter=everything")).status, 400);
    const jsonUpload = await c.send(
      "POST",
      "/console/api/simulator/media?waId=5511987650002&name=M&filename=a.json",
      Buffer.from("{}"),
      {
        "content-type": "application/json",
      },
    );
    assert.equal(jsonUpload.status, 415);
    assert.match(errorOf(await jsonUpload.json()), /application\/json/);
  });

  it("streams a change event when a conversation changes", async () => {
    const c = consoleClient(t.url);
    await c.login("Ana", "correct horse battery", "10.0.0.6");
    const controller = new AbortController();
    const res = await fetch(`${t.url}/console/api/events`, {
      headers: { cookie: c.cookie() ?? "" },
      signal: controller.signal,
    });
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const reader = res.body?.getReader();
    assert.ok(reader);
    // Let the poller take its first look, then make a change.
    await new Promise((r) => setTimeout(r, 900));
    const sent = await c.json<{ conversationId: number }>("POST", "/console/api/simulator/messages", {
      waId: "5511987650003",
      name: "Joana",
      message: { type: "text", text: "Oi" },
    });
    let seen = "";
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !seen.includes(`"conversationIds":[`)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      seen += Buffer.from(chunk.value).toString();
    }
    controller.abort();
    const event = seen.split("\n").find((l) => l.startsWith("data: "));
    assert.ok(event, seen);
    const data = JSON.parse(event.slice(6));
    assert.ok(data.conversationIds.includes(sent.body.conversationId));
  });
});

function errorOf(body: unknown): string {
  return z.object({ error: z.string() }).parse(body).error;
}

describe("console outside the sandbox", () => {
  it("has no simulator unless SIMULATOR=on; with it on the clock stays real time; forged addresses hit a global limit", async () => {
    const on = await startTestService({
      WHATSAPP_ACCESS_TOKEN: "EAAnotused0123456789",
      WHATSAPP_GRAPH_BASE_URL: "http://127.0.0.1:9",
      SIMULATOR: "on",
      CONSOLE_LOGIN_ATTEMPTS: "2",
    });
    try {
      const c = consoleClient(on.url);
      assert.equal((await c.login("Ana", TEST_ADMIN_TOKEN)).status, 200);
      const sim = await c.json("GET", "/console/api/simulator");
      assert.equal(sim.body.clockMovable, false);
      const moved = await c.json("POST", "/console/api/simulator/clock", { advanceMs: 3_600_000 });
      assert.equal(moved.status, 409, "moving every real customer's clock is refused");
      // No TRUST_PROXY: a forged X-Forwarded-For per try changes nothing, the socket's address is
      // counted; and a stranger's failures lock out only that address, never another client.
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await c.login("x", "wrong", `192.0.2.${i}`)).status);
      assert.deepEqual(statuses, [401, 401, 429]);
      assert.equal(await loginFrom(on.url, "127.0.0.2", TEST_ADMIN_TOKEN), 200, "another address logs in");
      // An open event stream does not hold the shutdown.
      const stream = await fetch(`${on.url}/console/api/events`, { headers: { cookie: c.cookie() ?? "" } });
      assert.equal(stream.status, 200);
    } finally {
      const started = Date.now();
      await on.stop();
      assert.ok(Date.now() - started < 8000, `stopped in ${Date.now() - started} ms with a page listening`);
    }

    const t = await startTestService({
      WHATSAPP_ACCESS_TOKEN: "EAAnotused0123456789",
      WHATSAPP_GRAPH_BASE_URL: "http://127.0.0.1:9",
      CONSOLE_LOGIN: "required",
    });
    try {
      const c = consoleClient(t.url);
      assert.equal(
        (await c.login("Ana", TEST_ADMIN_TOKEN)).status,
        200,
        "ADMIN_TOKEN is the password by default",
      );
      const session = await c.json("GET", "/console/api/session");
      assert.equal(session.body.simulator, false);
      assert.equal((await c.get("/console/api/simulator")).status, 404);
      assert.equal((await c.json("POST", "/console/api/simulator/clock", { advanceMs: 1 })).status, 404);
    } finally {
      await t.stop();
    }
  });
});

/** A login from another local address (Linux answers on all of 127.0.0.0/8). */
async function loginFrom(url: string, localAddress: string, password: string): Promise<number> {
  const { port } = new URL(url);
  const body = JSON.stringify({ operator: "Bia", password });
  return new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        localAddress,
        method: "POST",
        path: "/console/api/login",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
