import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { z } from "zod";
import { factsOf } from "../../src/tools/rag/checkGrounding.ts";
import { testServerUrl } from "../helpers/testDatabase.ts";

// `npm run eval:faq -- … --llm recorded` as CI runs it: the real LLM client and prompt, answers
// replayed from fixtures/llm/faq-eval-knowledge-questions.jsonl (recorded against the extractive
// fake of scripts/fakeFaqProvider.ts, which invents a figure for the "primeiro desconto" question).
const ROOT = new URL("../..", import.meta.url).pathname;
const QUESTIONS = new URL("../../../shared/fixtures/knowledge-questions.yaml", import.meta.url).pathname;
const KNOWLEDGE = new URL("../../../shared/fixtures/knowledge", import.meta.url).pathname;
const INVENTED_FOR = "primeiro desconto";

const reportSchema = z.object({
  mode: z.string(),
  hit3: z.number(),
  accuracy: z.number(),
  invented: z.number(),
  llm: z.object({
    answeredByLlm: z.number(),
    groundingCaught: z.array(z.object({ id: z.string(), facts: z.array(z.string()) })),
    failures: z.array(z.unknown()),
    missingRecordings: z.array(z.object({ id: z.string(), key: z.string() })),
    usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }),
  }),
  rows: z.array(
    z.object({
      id: z.string(),
      question: z.string(),
      hit3: z.boolean().nullable(),
      kind: z.string(),
      mode: z.enum(["llm", "passage"]).optional(),
      text: z.string().optional(),
      invented: z.boolean(),
    }),
  ),
});

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "wa-eval-faq-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the eval CLI on the server under test; resolves with its exit code and output. */
async function evalFaq(questions: string, json: string) {
  // The database server under test, not whatever DATABASE_URL the shell may have.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DATABASE_URL"));
  const args = [
    "scripts/evalFaq.ts",
    questions,
    "--knowledge",
    KNOWLEDGE,
    "--llm",
    "recorded",
    "--json",
    json,
  ];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, {
      cwd: ROOT,
      env: { ...env, TEST_DATABASE_URL: testServerUrl() },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = z.object({ code: z.number(), stdout: z.string(), stderr: z.string() }).parse(err);
    return failed;
  }
}

describe("eval:faq with recorded LLM answers", () => {
  test("the public sample replays completely: answered, the invented figure caught, nothing invented sent", async () => {
    const json = join(dir, "recorded.json");
    const run = await evalFaq(QUESTIONS, json);
    assert.equal(run.code, 0, run.stderr);
    const report = reportSchema.parse(JSON.parse(await readFile(json, "utf8")));
    assert.equal(report.mode, "recorded");
    assert.deepEqual(report.llm.missingRecordings, []);
    assert.deepEqual(report.llm.failures, []);

    const answerable = report.rows.filter((r) => r.hit3 !== null);
    assert.ok(answerable.length > 0);
    for (const r of answerable) assert.equal(r.kind, "answer", `${r.id} was not answered`);

    // The one question the fake padded with an invented duration: the check caught it and the
    // customer gets the passage, without the number.
    const padded = report.rows.find((r) => r.question.toLowerCase().includes(INVENTED_FOR));
    assert.ok(padded);
    assert.equal(padded.mode, "passage");
    assert.equal(report.llm.groundingCaught.length, 1);
    assert.equal(report.llm.groundingCaught[0]?.id, padded.id);
    const caught = report.llm.groundingCaught[0]?.facts ?? [];
    assert.ok(caught.length > 0);
    const sent = factsOf(padded.text ?? "");
    for (const fact of caught) assert.ok(!sent.has(fact), `${fact} was sent`);

    // Every other answerable question went through the model, and nothing invented was sent.
    assert.equal(report.llm.answeredByLlm, answerable.length - 1);
    assert.equal(report.invented, 0);
    assert.ok(report.rows.every((r) => !r.invented));
    assert.ok(report.llm.usage.promptTokens > 0 && report.llm.usage.completionTokens > 0);
  });

  test("a request with no recording fails the run and says how to record it", async () => {
    const sample = await readFile(QUESTIONS, "utf8");
    const changed = sample.replace('"Tem fidelidade?"', '"Tem fidelidade no contrato?"');
    assert.notEqual(changed, sample);
    const questions = join(dir, "changed-questions.yaml");
    await writeFile(questions, changed);
    const json = join(dir, "changed.json");
    const run = await evalFaq(questions, json);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /1 LLM request\(s\) with no recording/);
    assert.match(run.stderr, /sha256:[0-9a-f]{64}/);
    assert.match(run.stderr, /--llm record/);
    const report = reportSchema.parse(JSON.parse(await readFile(json, "utf8")));
    assert.equal(report.llm.missingRecordings.length, 1);
    // The unrecorded question still gets the passage, as in production when the provider fails.
    const missed = report.rows.find((r) => r.id === report.llm.missingRecordings[0]?.id);
    assert.equal(missed?.kind, "answer");
    assert.equal(missed?.mode, "passage");
  });
});
