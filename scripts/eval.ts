/**
 * `npm run eval [-- --no-ocr] [--json FILE]` — one quality scoreboard: the conversation stories
 * (the project's own, and the development dialogues of ../shared/dev split into the half the
 * degraded mode was tuned on and the half kept untouched), the FAQ on the development questions
 * and on the public sample (each beside its plain-BM25 baseline line), and the bill reading on
 * the sample bills. Each part runs as its own command (`npm run stories`, `eval:faq`, `eval:ocr`)
 * and reports through its --json file; a part whose data is missing is shown as skipped.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SHARED = join(ROOT, "../shared");
const { values } = parseArgs({
  options: { "no-ocr": { type: "boolean", default: false }, json: { type: "string" } },
});
/** Dialogues passing in degraded mode before issue #15 (commit e62c334, measured 2026-12-07). */
const DIALOGUES_BEFORE = { all: "3/24", tuned: "1/12", untouched: "2/12" };

const work = mkdtempSync(join(tmpdir(), "eval-"));
const lines: [string, string, string][] = [];
const scores: Record<string, unknown> = {};

/** Runs one of the project's scripts with --json and returns what it wrote (undefined on a crash). */
function run(script: string, args: string[]): unknown {
  const out = join(work, `${basename(script)}-${Object.keys(scores).length}.json`);
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", script), ...args, "--json", out], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  // Errors go through; tesseract's per-image "Invalid resolution" notices do not.
  const errors = r.stderr.split("\n").filter((l) => l.trim() && !/^Warning: Invalid resolution/.test(l));
  if (errors.length > 0) console.error(errors.join("\n"));
  if (!existsSync(out)) {
    console.error(`${script} ${args.join(" ")}: no report (exit ${r.status})`);
    return undefined;
  }
  return JSON.parse(readFileSync(out, "utf8"));
}

const storiesSchema = z.object({ stories: z.array(z.object({ file: z.string(), ok: z.boolean() })) });
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const ratio = (ok: number, total: number) => `${ok}/${total}`;

function stories(): void {
  const own = storiesSchema.safeParse(run("stories.ts", [join(ROOT, "test/stories")]));
  if (own.success) {
    const ok = own.data.stories.filter((s) => s.ok).length;
    lines.push(["project stories (test/stories)", ratio(ok, own.data.stories.length), "all must pass"]);
    scores.projectStories = { passed: ok, total: own.data.stories.length };
  }
  const dir = join(SHARED, "dev/dialogues");
  if (!existsSync(dir)) return void lines.push(["dev dialogues", "skipped", `no ${dir}`]);
  const dev = storiesSchema.safeParse(run("stories.ts", [dir]));
  if (!dev.success) return;
  // The tuned half: odd-numbered files; the even-numbered ones were kept untouched.
  const half = (odd: boolean) =>
    dev.data.stories.filter((s) => Number.parseInt(basename(s.file), 10) % 2 === (odd ? 1 : 0));
  const passed = (list: { ok: boolean }[]) => list.filter((s) => s.ok).length;
  const all = dev.data.stories;
  lines.push([
    "dev dialogues, degraded mode",
    ratio(passed(all), all.length),
    `before #15: ${DIALOGUES_BEFORE.all}`,
  ]);
  lines.push([
    "  tuned half (odd numbers)",
    ratio(passed(half(true)), half(true).length),
    `before: ${DIALOGUES_BEFORE.tuned}`,
  ]);
  lines.push([
    "  untouched half (even numbers)",
    ratio(passed(half(false)), half(false).length),
    `before: ${DIALOGUES_BEFORE.untouched}`,
  ]);
  scores.devDialogues = {
    passed: passed(all),
    total: all.length,
    tuned: passed(half(true)),
    untouched: passed(half(false)),
    failed: all.filter((s) => !s.ok).map((s) => basename(s.file)),
  };
}

const faqSchema = z.object({
  hit3: z.number(),
  accuracy: z.number(),
  dontKnowCorrect: z.number(),
  dontKnowTotal: z.number(),
  refuseCorrect: z.number(),
  refuseTotal: z.number(),
  invented: z.number(),
  baseline: z.object({ hit3: z.number() }),
  halves: z
    .object({
      odd: z.object({ hit3: z.number(), accuracy: z.number() }),
      even: z.object({ hit3: z.number(), accuracy: z.number() }),
    })
    .optional(),
});

function faq(label: string, questions: string): void {
  if (!existsSync(questions)) return void lines.push([label, "skipped", `no ${questions}`]);
  const r = faqSchema.safeParse(
    run("evalFaq.ts", [questions, "--knowledge", join(SHARED, "fixtures/knowledge")]),
  );
  if (!r.success) return void lines.push([label, "failed", "see the error above"]);
  const f = r.data;
  lines.push([`${label}: retrieval hit@3`, pct(f.hit3), `plain BM25: ${pct(f.baseline.hit3)}`]);
  lines.push([`${label}: answers with every fact`, pct(f.accuracy), ""]);
  lines.push([
    `${label}: "não sei" when out of scope`,
    ratio(f.dontKnowCorrect, f.dontKnowTotal),
    `invented facts: ${f.invented}`,
  ]);
  lines.push([`${label}: manipulation refused`, ratio(f.refuseCorrect, f.refuseTotal), ""]);
  if (f.halves) {
    const { odd, even } = f.halves;
    lines.push([
      `  tuned half (odd ids): hit@3, answers`,
      `${pct(odd.hit3)}`,
      `answers ${pct(odd.accuracy)}`,
    ]);
    lines.push([
      `  untouched half (even ids): hit@3, answers`,
      `${pct(even.hit3)}`,
      `answers ${pct(even.accuracy)}`,
    ]);
  }
  scores[label] = f;
}

function ocr(): void {
  const bills = join(SHARED, "fixtures/bills");
  if (values["no-ocr"] || !existsSync(bills)) return void lines.push(["bill reading", "skipped", ""]);
  const r = z
    .object({ keyAccuracy: z.number(), latencyMs: z.object({ p50: z.number(), p95: z.number() }) })
    .safeParse(run("evalOcr.ts", [bills]));
  if (!r.success) return void lines.push(["bill reading", "failed", "see the error above"]);
  lines.push([
    "bill reading: key fields right",
    pct(r.data.keyAccuracy),
    `p50 ${r.data.latencyMs.p50} ms/page`,
  ]);
  scores.ocr = r.data;
}

stories();
faq("FAQ dev questions", join(SHARED, "dev/faq-questions.yaml"));
faq("FAQ public sample", join(SHARED, "fixtures/knowledge-questions.yaml"));
ocr();
rmSync(work, { recursive: true, force: true });

const width = Math.max(...lines.map(([a]) => a.length));
console.log("\nquality scoreboard (degraded mode, no LLM)\n");
for (const [what, figure, beside] of lines)
  console.log(`${what.padEnd(width)}  ${figure.padStart(7)}  ${beside}`);
if (values.json) writeFileSync(values.json, `${JSON.stringify(scores, null, 2)}\n`);
