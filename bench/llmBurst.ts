/**
 * `npm run bench:llm`: customers writing at once to the lead agent with an OpenAI-compatible LLM
 * that answers after BENCH_LLM_LATENCY_MS (1,500). One service process (web + worker, default
 * configuration) on the local PostgreSQL; a fake LLM in this process counts calls in flight; the
 * fake Graph API in its own. Reports, per burst size (BENCH_CUSTOMERS, "200,1000"): first reply
 * p50/p99 (webhook stored → reply accepted by the Graph API), peak LLM calls in flight, peak
 * database connections of the service, peak RSS. Median (min–max) of BENCH_RUNS (1) runs.
 * `BENCH_SERVICE_DIR` runs another checkout's src/main.ts (a baseline in the same run).
 */
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { availableParallelism, cpus } from "node:os";
import pg from "pg";
import { signBody } from "../src/webhook/verifySignature.ts";
import { freePort, spawnService, waitForReady } from "../test/helpers/spawnService.ts";
import { createTestDatabase } from "../test/helpers/testDatabase.ts";
import { textWebhook, uniqueWamid } from "../test/helpers/webhookPayloads.ts";
import { rssMb, startGraphProcess } from "./processes.ts";
import { type Figure, figure, fmt, percentile, round } from "./stats.ts";

const env = process.env;
const RUNS = Number(env.BENCH_RUNS ?? 1);
const LATENCY_MS = Number(env.BENCH_LLM_LATENCY_MS ?? 1500);
const SIZES = (env.BENCH_CUSTOMERS ?? "200,1000").split(",").map(Number);
const SECRET = "bench-secret-0123456789abcdef";
const TOKEN = "EAAbenchtoken0123456789";
const log = (...a: unknown[]) => console.log(...a);

/** An OpenAI-compatible chat endpoint that answers "no tool call" after LATENCY_MS. */
async function startSlowLlm() {
  let inFlight = 0;
  let peak = 0;
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      inFlight++;
      calls++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: `chatcmpl-${calls}`,
            object: "chat.completion",
            created: Math.floor(Date.now() / 1000),
            model: "bench",
            choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "" } }],
            usage: { prompt_tokens: 300, completion_tokens: 5, total_tokens: 305 },
          }),
        );
      }, LATENCY_MS);
    });
  });
  server.maxConnections = 10_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    reset: () => {
      peak = 0;
      calls = 0;
    },
    stats: () => ({ peak, calls }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

type Run = { p50: number; p99: number; llmPeak: number; dbPeak: number; rssPeak: number; replied: number };

async function burst(customers: number): Promise<Run> {
  const database = await createTestDatabase();
  const graph = await startGraphProcess(TOKEN);
  const llm = await startSlowLlm();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const svc = spawnService(
    {
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "warn",
      DATABASE_URL: database.url,
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: "bench-verify-token-0123456789",
      ADMIN_TOKEN: "bench-admin-token-0123456789abcdef",
      WHATSAPP_ACCESS_TOKEN: TOKEN,
      WHATSAPP_GRAPH_BASE_URL: graph.baseUrl,
      DEFAULT_AGENT: "lead_qualification",
      LLM_BASE_URL: llm.baseUrl,
      LLM_API_KEY: "sk-bench",
      LLM_TIMEOUT_MS: String(LATENCY_MS * 4),
      LLM_DAILY_COST_CAP_USD: "0",
      SEND_RATE_PER_SECOND: "100000",
      ...(env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: env.BENCH_NODE_OPTIONS } : {}),
      // Knobs for trying other settings; unset, the service runs on its defaults.
      ...(env.BENCH_WORKER_CONCURRENCY ? { WORKER_CONCURRENCY: env.BENCH_WORKER_CONCURRENCY } : {}),
      ...(env.BENCH_LLM_MAX_CONCURRENCY ? { LLM_MAX_CONCURRENCY: env.BENCH_LLM_MAX_CONCURRENCY } : {}),
    },
    env.BENCH_SERVICE_DIR,
  );
  await waitForReady(url);
  const db = new pg.Pool({ connectionString: database.url, max: 2, application_name: "bench" });
  const prefix = `5571${String(Date.now() % 1e7).padStart(7, "0")}`;
  let dbPeak = 0;
  let rssPeak = 0;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssMb(svc.child.pid));
    void db
      .query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name <> 'bench'",
      )
      .then((r) => {
        dbPeak = Math.max(dbPeak, r.rows[0]?.n ?? 0);
      })
      .catch(() => undefined);
  }, 100);
  llm.reset();
  // Every customer writes at once: the webhooks go out together, 50 connections at a time.
  const posts = Array.from({ length: customers }, (_, i) => async () => {
    const raw = JSON.stringify(
      textWebhook({
        from: `${prefix}${String(i).padStart(4, "0")}`,
        text: "Oi, quero economizar na conta de luz",
        id: uniqueWamid("l"),
      }),
    );
    const res = await fetch(`${url}/webhook`, {
      method: "POST",
      body: raw,
      headers: { "content-type": "application/json", "x-hub-signature-256": signBody(raw, SECRET) },
    });
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  });
  const queue = [...posts];
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let p = queue.shift(); p; p = queue.shift()) await p();
    }),
  );
  const t0 = Date.now();
  const firstReplies = async () => {
    const { rows } = await db.query<{ ms: number }>(
      `select extract(epoch from min(o.sent_at) - min(m.received_at)) * 1000 as ms
         from conversations c join inbound_messages m on m.conversation_id = c.id
         join outbox o on o.conversation_id = c.id and o.sent_at is not null
        where c.customer_wa_id like $1 group by c.id`,
      [`${prefix}%`],
    );
    return rows.map((r) => Number(r.ms));
  };
  let replies = await firstReplies();
  while (replies.length < customers && Date.now() - t0 < 300_000) {
    await new Promise((r) => setTimeout(r, 500));
    replies = await firstReplies();
  }
  clearInterval(sampler);
  const run = {
    p50: round(percentile(replies, 50)),
    p99: round(percentile(replies, 99)),
    llmPeak: llm.stats().peak,
    dbPeak,
    rssPeak,
    replied: replies.length,
  };
  await db.end();
  await svc.stop();
  await llm.close();
  graph.close();
  await database.drop();
  return run;
}

const results: Record<string, Record<string, Figure | number>> = {};
log(
  `# LLM burst on ${availableParallelism()} cores (${cpus()[0]?.model}), LLM latency ${LATENCY_MS} ms, ${RUNS} run(s)`,
);
for (const size of SIZES) {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await burst(size));
    log(`  ${size} customers, run ${i + 1}: ${JSON.stringify(runs.at(-1))}`);
  }
  const f = (k: keyof Run) => figure(runs.map((r) => r[k]));
  results[String(size)] = {
    first_reply_p50_ms: f("p50"),
    first_reply_p99_ms: f("p99"),
    llm_in_flight_peak: f("llmPeak"),
    db_connections_peak: f("dbPeak"),
    rss_peak_mb: f("rssPeak"),
    replied: f("replied"),
  };
  log(
    `  → p50 ${fmt(f("p50"), " ms")}, p99 ${fmt(f("p99"), " ms")}, LLM in flight ${fmt(f("llmPeak"))}, DB connections ${fmt(f("dbPeak"))}, RSS ${fmt(f("rssPeak"), " MB")}`,
  );
}
const out = env.BENCH_OUT ?? new URL("./results/llm-latest.json", import.meta.url).pathname;
writeFileSync(
  out,
  `${JSON.stringify({ at: new Date().toISOString(), latencyMs: LATENCY_MS, service: env.BENCH_SERVICE_DIR ?? ".", results }, null, 2)}\n`,
);
log(`wrote ${out}`);
process.exit(0);
