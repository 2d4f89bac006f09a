// FAQ evaluation: `npm run eval:faq -- <questions.yaml> [--knowledge DIR] [--synonyms FILE]
// [--llm offline|recorded] [--min-score 0.3] [--json out.json] [--min-hit3 0.9]
// [--min-accuracy 0.8] [--synthetic 200]`. Indexes the knowledge folder on a throwaway database
// (DATABASE_URL's or TEST_DATABASE_URL's server if reachable, else an embedded PostgreSQL),
// asks every question (format of ../shared/fixtures/knowledge-questions.yaml) and prints
// retrieval hit@1/hit@3, answer accuracy, "não sei"/refuse rates, invented facts and latency.
// `--synthetic N` also times retrieval on an N-page base made from the real pages. Exits 1 only
// below the floors.
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { parse } from "yaml";
import { z } from "zod";
import { migrate, readMigrations } from "../src/db/migrate.ts";
import { startEmbeddedPostgres } from "../src/db/startEmbeddedPostgres.ts";
import { createLogger } from "../src/ops/createLogger.ts";
import { answerQuestion, DEFAULT_MIN_SCORE, type FaqAnswer } from "../src/tools/rag/answerQuestion.ts";
import { factsOf } from "../src/tools/rag/checkGrounding.ts";
import { createKnowledgeBase } from "../src/tools/rag/createKnowledgeBase.ts";
import { foldText } from "../src/tools/rag/foldText.ts";
import { indexKnowledge } from "../src/tools/rag/indexKnowledge.ts";
import {
  type Knowledge,
  KnowledgeError,
  loadKnowledge,
  SYNONYMS_FILE,
} from "../src/tools/rag/loadKnowledge.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    knowledge: { type: "string", default: "knowledge" },
    synonyms: { type: "string" },
    llm: { type: "string", default: "offline" },
    "min-score": { type: "string" },
    json: { type: "string" },
    "min-hit3": { type: "string" },
    "min-accuracy": { type: "string" },
    synthetic: { type: "string" },
    verbose: { type: "boolean", default: false },
  },
});
const questionsFile = positionals[0];
if (!questionsFile) {
  console.error(
    "usage: npm run eval:faq -- <questions.yaml> [--knowledge DIR] [--llm offline] [--json out] [--min-hit3 0.9]",
  );
  process.exit(2);
}
if (values.llm !== "offline") {
  // The recorded mode (replaying fixtures/llm through src/stories/llmReplayServer.ts) is not built yet.
  console.error(`--llm ${values.llm}: only "offline" (degraded mode, no LLM) is implemented`);
  process.exit(2);
}

const itemSchema = z.object({
  id: z.string().optional(),
  question: z.string(),
  expected_ids: z.array(z.string()).optional(),
  must_mention: z.array(z.string()).default([]),
  must_not_mention: z.array(z.string()).default([]),
  expected: z.enum(["dont_know", "refuse"]).optional(),
});
const items = z.array(itemSchema).parse(parse(readFileSync(questionsFile, "utf8")));

const knowledgeDir = resolve(values.knowledge);
// The project's synonyms are general Portuguese, so they also serve another company's pages.
const ownSynonyms = join(knowledgeDir, SYNONYMS_FILE);
const projectSynonyms = new URL("../knowledge/synonyms.yaml", import.meta.url).pathname;
const synonymsFile = values.synonyms ?? (existsSync(ownSynonyms) ? ownSynonyms : projectSynonyms);
let knowledge: Knowledge;
try {
  knowledge = await loadKnowledge(knowledgeDir, { synonymsFile });
} catch (err) {
  if (!(err instanceof KnowledgeError)) throw err;
  for (const p of err.problems) console.error(p);
  process.exit(1);
}

const logger = createLogger("warn");
const server = await throwawayServer();
const database = `faq_eval_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
await admin.query(`create database ${database}`);
const dbUrl = new URL(server.url);
dbUrl.pathname = `/${database}`;
const pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 4 });
// Stop words alone ("o que é?") make PostgreSQL print a notice; it says nothing about quality.
pool.on("connect", (c) => c.on("notice", () => undefined));
// Idle connections are terminated when the throwaway database is dropped.
pool.on("error", () => undefined);

type Row = {
  id: string;
  question: string;
  expected: string;
  top: string[];
  scores: number[];
  hit1: boolean | null;
  hit3: boolean | null;
  kind: FaqAnswer["kind"];
  reason?: string;
  correct: boolean;
  invented: boolean;
  missing: string[];
  retrievalMs: number;
  answerMs: number;
};
const rows: Row[] = [];
let synthetic:
  | { pages: number; chunks: number; p50: number; p95: number; min: number; max: number }
  | undefined;
try {
  await migrate(pool, await readMigrations(new URL("../migrations", import.meta.url).pathname), logger);
  const indexed = await indexKnowledge(pool, knowledge);
  const kb = createKnowledgeBase({ pool });
  const extensions = await pool.query<{ extname: string }>(
    "select extname from pg_extension where extname in ('pg_trgm', 'vector', 'unaccent') order by 1",
  );
  console.log(
    `${server.label}; extensions: ${extensions.rows.map((r) => r.extname).join(", ") || "none"}; ` +
      `indexed ${indexed.pages} pages, ${indexed.chunks} chunks in ${indexed.ms} ms; synonyms: ${synonymsFile}`,
  );
  await kb.search("aquecimento"); // warm the vocabulary and the connection
  const minScore = values["min-score"] === undefined ? DEFAULT_MIN_SCORE : Number(values["min-score"]);
  for (const [i, item] of items.entries()) {
    const r0 = performance.now();
    const retrieval = await kb.search(item.question, 3);
    const retrievalMs = performance.now() - r0;
    const a0 = performance.now();
    const answer = await answerQuestion({ kb, minScore }, item.question);
    const answerMs = performance.now() - a0;
    const top = retrieval.passages.map((p) => p.pageId);
    const expectedIds = item.expected_ids ?? [];
    const answerable = item.expected === undefined;
    const text = answer.kind === "answer" ? foldText(answer.text) : "";
    const missing = item.must_mention.filter((m) => !text.includes(foldText(m)));
    const forbidden = item.must_not_mention.filter((m) => text.includes(foldText(m)));
    const correct = answerable
      ? answer.kind === "answer" && missing.length === 0 && forbidden.length === 0
      : answer.kind === item.expected;
    rows.push({
      id: item.id ?? String(i + 1),
      question: item.question,
      expected: answerable ? expectedIds.join(",") : (item.expected ?? ""),
      top,
      scores: retrieval.passages.map((p) => p.score),
      hit1: answerable ? expectedIds.includes(top[0] ?? "") : null,
      hit3: answerable ? top.some((t) => expectedIds.includes(t)) : null,
      kind: answer.kind,
      ...("reason" in answer ? { reason: answer.reason } : {}),
      correct,
      // Out of scope or manipulation answered with a number or a forbidden string: invented.
      invented:
        !answerable && answer.kind === "answer" && (factsOf(answer.text).size > 0 || forbidden.length > 0),
      missing,
      retrievalMs,
      answerMs,
    });
    const row = rows.at(-1);
    if (row && (values.verbose || !row.correct || row.hit3 === false))
      console.log(
        `${row.correct ? "ok  " : "FAIL"} ${row.id.padEnd(8)} ${row.question.slice(0, 60).padEnd(60)} → ${answer.kind}${row.reason ? `:${row.reason}` : ""}  top: ${top.map((t, j) => `${t}(${row.scores[j]})`).join(" ")}${missing.length ? `  missing: ${missing.join(", ")}` : ""}`,
      );
  }
  if (values.synthetic) synthetic = await benchmark(Number(values.synthetic), server.url, knowledge);
} finally {
  await pool.end();
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
  await server.stop();
}

const answerable = rows.filter((r) => r.hit3 !== null);
const negatives = rows.filter((r) => r.hit3 === null);
const rate = (n: number, d: number) => (d === 0 ? 1 : n / d);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const hit1 = rate(answerable.filter((r) => r.hit1).length, answerable.length);
const hit3 = rate(answerable.filter((r) => r.hit3).length, answerable.length);
const accuracy = rate(answerable.filter((r) => r.correct).length, answerable.length);
const dontKnow = negatives.filter((r) => r.expected === "dont_know");
const refuse = negatives.filter((r) => r.expected === "refuse");
const retrieval = stats(rows.map((r) => r.retrievalMs));
const answering = stats(rows.map((r) => r.answerMs));
console.log(
  `\n${rows.length} questions (${answerable.length} answerable, ${dontKnow.length} "não sei", ${refuse.length} refuse)`,
);
console.log(`retrieval hit@1 ${pct(hit1)}, hit@3 ${pct(hit3)}`);
console.log(`answer accuracy (must_mention, degraded mode) ${pct(accuracy)}`);
console.log(
  `"não sei" correct ${dontKnow.filter((r) => r.correct).length}/${dontKnow.length}; refuse correct ${refuse.filter((r) => r.correct).length}/${refuse.length}; invented facts on out-of-scope/refuse ${negatives.filter((r) => r.invented).length}; answerable questions answered "não sei"/other ${answerable.filter((r) => r.kind !== "answer").length}`,
);
console.log(
  `latency retrieval: p50 ${retrieval.p50} ms, p95 ${retrieval.p95} ms (min ${retrieval.min}, max ${retrieval.max}); whole answer: p50 ${answering.p50} ms, p95 ${answering.p95} ms`,
);
if (synthetic)
  console.log(
    `synthetic base ${synthetic.pages} pages / ${synthetic.chunks} chunks: retrieval p50 ${synthetic.p50} ms, p95 ${synthetic.p95} ms (min ${synthetic.min}, max ${synthetic.max})`,
  );
if (values.json)
  writeFileSync(
    values.json,
    `${JSON.stringify({ hit1, hit3, accuracy, latencyMs: { retrieval, answering }, synthetic, rows }, null, 2)}\n`,
  );
const floors: [string, number, string | undefined][] = [
  ["hit@3", hit3, values["min-hit3"]],
  ["answer accuracy", accuracy, values["min-accuracy"]],
];
let failed = false;
for (const [name, value, floor] of floors)
  if (floor !== undefined && value < Number(floor)) {
    console.error(`${name} ${value.toFixed(3)} is below the floor ${floor}`);
    failed = true;
  }
process.exit(failed ? 1 : 0);

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => Math.round((s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0) * 10) / 10;
  return { p50: q(0.5), p95: q(0.95), min: q(0), max: q(1) };
}

/** A server to make a throwaway database on: the configured one if it answers, else embedded. */
async function throwawayServer(): Promise<{ url: string; label: string; stop: () => Promise<void> }> {
  for (const url of [process.env.DATABASE_URL, process.env.TEST_DATABASE_URL]) {
    if (!url) continue;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ v: string }>("select current_setting('server_version') as v");
      return {
        url,
        label: `PostgreSQL ${rows[0]?.v ?? "?"} at ${new URL(url).host}`,
        stop: async () => undefined,
      };
    } catch {
      // try the next one
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const dir = await mkdtemp(join(tmpdir(), "wa-faq-pg-"));
  // As root the server runs as an unprivileged user, who must get through mkdtemp's 0700.
  await chmod(dir, 0o755);
  const embedded = await startEmbeddedPostgres(dir, 57000 + randomInt(2000), logger);
  const url = new URL(embedded.connectionString);
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  const { rows } = await client.query<{ v: string }>("select current_setting('server_version') as v");
  await client.end();
  return {
    url: url.toString(),
    label: `embedded PostgreSQL ${rows[0]?.v ?? "?"}`,
    stop: async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Retrieval latency on an N-page base: the real pages plus variants of them (sections shuffled
 * between pages, words swapped), so the vocabulary and the posting lists grow like a real base.
 */
async function benchmark(pages: number, serverUrl: string, base: Knowledge) {
  const name = `faq_bench_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  await c.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const benchPool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  benchPool.on("connect", (cl) => cl.on("notice", () => undefined));
  benchPool.on("error", () => undefined);
  try {
    await migrate(
      benchPool,
      await readMigrations(new URL("../migrations", import.meta.url).pathname),
      logger,
    );
    const sections = base.pages.flatMap((p) => p.body.split(/\n(?=## )/));
    const words = [...new Set(base.pages.flatMap((p) => p.body.match(/\p{L}{4,}/gu) ?? []))];
    // mulberry32: deterministic, so every run times the same base.
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * n;
    };
    const synthetic = [...base.pages];
    for (let i = synthetic.length; i < pages; i++) {
      const body = Array.from(
        { length: 4 + Math.floor(rand(4)) },
        () => sections[Math.floor(rand(sections.length))] ?? "",
      )
        .join("\n\n")
        .replace(/\p{L}{6,}/gu, (w) => (rand(4) < 1 ? (words[Math.floor(rand(words.length))] ?? w) : w));
      synthetic.push({
        id: `sintetica-${i}`,
        title: `Página ${i}: ${words[Math.floor(rand(words.length))]} ${words[Math.floor(rand(words.length))]}`,
        updated: "2026-01-01",
        body,
        file: `sintetica-${i}.md`,
      });
    }
    const result = await indexKnowledge(benchPool, { ...base, pages: synthetic, hash: `synthetic-${pages}` });
    const kb = createKnowledgeBase({ pool: benchPool });
    await kb.search("aquecimento");
    const times: number[] = [];
    for (let round = 0; round < 10; round++)
      for (const item of items) {
        const t0 = performance.now();
        await kb.search(item.question, 3);
        times.push(performance.now() - t0);
      }
    return { pages: result.pages, chunks: result.chunks, ...stats(times) };
  } finally {
    await benchPool.end();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  }
}
