import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { z } from "zod";
import { startFakeOpenAi } from "../helpers/fakeOpenAi.ts";
import { ROOT, runStoriesCli } from "../helpers/runStoriesCli.ts";
import { testServerUrl } from "../helpers/testDatabase.ts";

// `npm run stories` end to end, as a user runs it: the CLI, on throwaway databases of the test
// server, against the real service with the sandbox WhatsApp.

const stories = (args: string[], env: Record<string, string> = {}) =>
  runStoriesCli(args, { ...process.env, DATABASE_URL: testServerUrl(), LLM_BASE_URL: "", ...env });

const reportSchema = z.object({
  stories: z.array(
    z.object({
      file: z.string(),
      ok: z.boolean(),
      steps: z.array(z.object({ latencyMs: z.number(), checks: z.array(z.object({ ok: z.boolean() })) })),
    }),
  ),
});

// Fifty-odd stories, some reading bills by OCR: longer than the default per-test budget.
test("the project's stories pass: every step kind, degraded and recorded LLM modes", {
  timeout: 600_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "wa-stories-"));
  try {
    const { code, out } = await stories(["--json", join(dir, "r.json"), "test/stories"]);
    assert.equal(code, 0, out);
    const files = readdirSync(join(ROOT, "test/stories"), { recursive: true, encoding: "utf8" }).filter(
      (f) => f.endsWith(".yaml") && !/(^|\/)(agents|prompts)\//.test(f),
    );
    assert.ok(files.length >= 30, `${files.length} story files`);
    assert.match(out, new RegExp(`^${files.length} passed, 0 failed`, "m"));
    const report = reportSchema.parse(JSON.parse(readFileSync(join(dir, "r.json"), "utf8")));
    assert.equal(report.stories.length, files.length);
    const checks = report.stories.flatMap((s) => s.steps.flatMap((st) => st.checks));
    assert.ok(checks.length >= 30, `expectations were checked (${checks.length})`);
    assert.ok(report.stories.every((s) => s.steps.every((st) => st.latencyMs > 0)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the example story of ../shared/docs/stories.md passes unchanged against the shipped agent", async () => {
  const doc = readFileSync(join(ROOT, "../shared/docs/stories.md"), "utf8");
  const example = /## Example\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example, "the contract has an example");
  const dir = mkdtempSync(join(tmpdir(), "wa-example-"));
  try {
    writeFileSync(join(dir, "example.yaml"), example);
    const { code, out } = await stories([join(dir, "example.yaml")]);
    assert.equal(code, 0, out);
    assert.match(out, /^ok {4}residential lead with a bill above the minimum qualifies/m);
    assert.match(out, /^1 passed, 0 failed/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad stories: unknown keys are errors with file:line; a failed expectation and a missing recording fail at their step", async () => {
  const empty = mkdtempSync(join(tmpdir(), "wa-no-recordings-"));
  try {
    const { code, out } = await stories([
      "--content",
      "test/stories/demo",
      "--fixtures",
      empty,
      "test/fixtures/stories-bad",
    ]);
    assert.equal(code, 1, out);
    assert.match(out, /^0 passed, 3 failed/m);
    assert.match(out, /unknown-keys\.yaml:2: story: Unrecognized key: "agnet"/);
    assert.match(out, /unknown-keys\.yaml:6: steps\.1: unknown key "usr"/);
    assert.match(
      out,
      /wrong-expectation\.yaml:6: a reply containing "qual o seu CPF" expected; got \["Prazer, Maria! Em qual cidade você mora\?"\]/,
    );
    assert.match(
      out,
      /missing-recording\.yaml:5: recorded LLM: no recording for request sha256:[0-9a-f]{64}/,
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("an operator changes a question's wording in prompts/ and the story shows the effect", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wa-content-"));
  try {
    cpSync(join(ROOT, "test/stories/demo"), dir, { recursive: true });
    const prompt = join(dir, "prompts/demo_ask_name.md");
    writeFileSync(
      prompt,
      readFileSync(prompt, "utf8").replace("qual é o seu nome?", "como posso te chamar?"),
    );
    const { code, out } = await stories([join(dir, "qualifies.yaml")]);
    assert.equal(code, 1, out);
    assert.match(
      out,
      /qualifies\.yaml:5: a reply containing "nome" expected; got \[".*como posso te chamar\?"\]/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--record against a provider, then replay with no provider at all", async () => {
  const fixtures = mkdtempSync(join(tmpdir(), "wa-recordings-"));
  const fake = await startFakeOpenAi();
  try {
    fake.script(
      {
        toolCalls: [
          {
            name: "record_customer_data",
            arguments: JSON.stringify({ name: "Ana", city: "BH", monthly_bill_brl: 380 }),
          },
        ],
      },
      { content: "nada a registrar" },
      {
        toolCalls: [
          { name: "record_customer_data", arguments: JSON.stringify({ property_type: "apartamento" }) },
        ],
      },
    );
    const story = "test/stories/demo/llm-reads-free-text.yaml";
    const recorded = await stories(["--record", "--fixtures", fixtures, story], {
      LLM_BASE_URL: fake.baseUrl,
      LLM_API_KEY: "test-key",
      LLM_MODEL: "fake-model",
    });
    assert.equal(recorded.code, 0, recorded.out);
    assert.equal(fake.requests.length, 3, "every LLM call went to the provider");
    assert.equal(fake.requests[0]?.authorization, "Bearer test-key");
    const lines = readFileSync(join(fixtures, "llm-reads-free-text.jsonl"), "utf8").trim().split("\n");
    assert.equal(lines.length, 3);
    await fake.close();
    const replayed = await stories(["--fixtures", fixtures, story]);
    assert.equal(replayed.code, 0, replayed.out);
    assert.match(replayed.out, /^1 passed, 0 failed/m);
  } finally {
    await fake.close().catch(() => undefined);
    rmSync(fixtures, { recursive: true, force: true });
  }
});
