/**
 * `npm run bench:console`: how fast the console shows things, on real PostgreSQL with the lead agent
 * and the sandbox. (1) Live: a simulated customer message → the server-sent change event naming its
 * conversation, and → the bot's reply readable through the API. (2) Reads on a seeded database
 * (BENCH_CONVERSATIONS conversations of 6 messages each): the conversation list, one filter, one
 * conversation's history and its turns. Medians with min and max. Not part of `npm test`.
 */
import { performance } from "node:perf_hooks";
import { consoleClient } from "../test/helpers/consoleClient.ts";
import { startTestService } from "../test/helpers/startTestService.ts";
import { type Figure, figure, fmt } from "./stats.ts";

const env = process.env;
const MESSAGES = Number(env.BENCH_MESSAGES ?? 20);
const SEEDED = Number(env.BENCH_CONVERSATIONS ?? 20000);
const READS = Number(env.BENCH_READS ?? 20);
const PASSWORD = "bench-console-password";

const t = await startTestService({ DEFAULT_AGENT: "", SIMULATOR: "on", CONSOLE_PASSWORD: PASSWORD });
try {
  const c = consoleClient(t.url);
  if ((await c.login("bench", PASSWORD)).status !== 200) throw new Error("login failed");

  // ---- live updates ----
  const controller = new AbortController();
  const stream = await fetch(`${t.url}/console/api/events`, {
    headers: { cookie: c.cookie() ?? "" },
    signal: controller.signal,
  });
  const reader = stream.body?.getReader();
  if (!reader) throw new Error("no event stream");
  const seen = new Map<number, number>();
  let buffer = "";
  void (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done || !chunk.value) return;
      buffer += Buffer.from(chunk.value).toString();
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const data = buffer
          .slice(0, end)
          .split("\n")
          .find((l) => l.startsWith("data: "));
        buffer = buffer.slice(end + 2);
        if (data) {
          const parsed: { conversationIds?: number[] } = JSON.parse(data.slice(6));
          for (const id of parsed.conversationIds ?? []) if (!seen.has(id)) seen.set(id, performance.now());
        }
        end = buffer.indexOf("\n\n");
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  const toEvent: number[] = [];
  const toReply: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    // A random pause: messages sent right after an event would always land just after a poll.
    await new Promise((r) => setTimeout(r, Math.random() * 700));
    const started = performance.now();
    const sent = await c.json<{ conversationId: number }>("POST", "/console/api/simulator/messages", {
      waId: `55119${String(70000000 + i)}`,
      name: "Bench",
      message: { type: "text", text: "Oi" },
    });
    const id = sent.body.conversationId;
    for (;;) {
      const d = await c.json<{ messages: { direction: string }[] }>(
        "GET",
        `/console/api/conversations/${id}`,
      );
      if (d.body.messages.some((m) => m.direction === "out")) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    toReply.push(performance.now() - started);
    while (!seen.has(id) && performance.now() - started < 10_000) await new Promise((r) => setTimeout(r, 10));
    const at = seen.get(id);
    if (at !== undefined) toEvent.push(at - started);
  }
  controller.abort();

  // ---- reads on a seeded database ----
  const seedStarted = performance.now();
  await t.db.query(
    `with c as (
       insert into conversations (phone_number_id, customer_key, customer_wa_id, customer_name, agent_id, state,
                                  last_inbound_at, updated_at)
       select '100000000000001', 'seed' || g, '5521' || lpad(g::text, 9, '0'), 'Cliente ' || g, 'lead_qualification',
              jsonb_build_object('state', 'collecting', 'slots', jsonb_build_object('name', 'Cliente ' || g), 'done', false),
              now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval
         from generate_series(1, $1::int) g
       returning id),
     w as (insert into webhook_events (raw_body, recognised) values ('\x7b7d', true) returning id)
     insert into inbound_messages (wa_message_id, conversation_id, webhook_event_id, type, text, sent_at, body, processed_at)
     select 'wamid.seed.' || c.id || '.' || n, c.id, w.id, 'text', 'mensagem ' || n, now(), '{}', now()
       from c, w, generate_series(1, 6) n`,
    [SEEDED],
  );
  const seedMs = performance.now() - seedStarted;
  const timed = async (path: string): Promise<Figure> => {
    const samples: number[] = [];
    for (let i = 0; i < READS; i++) {
      const s = performance.now();
      const r = await c.get(path);
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      samples.push(performance.now() - s);
    }
    return figure(samples);
  };
  const first = await c.json<{ conversations: { id: number }[] }>("GET", "/console/api/conversations");
  const someId = first.body.conversations[0]?.id ?? 1;
  const rows: [string, Figure][] = [
    ["simulated message → change event (ms)", figure(toEvent)],
    ["simulated message → bot reply readable (ms)", figure(toReply)],
    [`GET conversations, ${SEEDED} seeded (ms)`, await timed("/console/api/conversations")],
    ["GET conversations?filter=active (ms)", await timed("/console/api/conversations?filter=active")],
    [
      "GET conversations?filter=needs_review (ms)",
      await timed("/console/api/conversations?filter=needs_review"),
    ],
    ["GET one conversation (ms)", await timed(`/console/api/conversations/${someId}`)],
    ["GET its turns (ms)", await timed(`/console/api/conversations/${someId}/turns`)],
  ];
  console.log(`seeded ${SEEDED} conversations × 6 messages in ${Math.round(seedMs)} ms`);
  console.log("| measure | median (min–max) | samples |\n|---|---|---|");
  for (const [name, f] of rows) console.log(`| ${name} | ${fmt(f)} | ${f.runs.length} |`);
} finally {
  await t.stop();
}
