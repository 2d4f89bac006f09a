/**
 * `npm run bench:understanding` — the cost of reading a customer's message in degraded mode with
 * every Brazilian municipality loaded: the agent's whole transition (names, places, money, types,
 * holder phrases, intents, the decision) per message, as p50/p95/max over every user text of the
 * project's stories and of ../shared/dev's dialogues, plus long messages (4,000 characters), with
 * the name question and the city question on the table. Beside it, in the same run, a baseline:
 * folding the text and scanning a short city table (the 27 capitals and the operator's cities), the
 * way a city was read before every municipality was.
 * Memory: heap taken by the municipality list and its index (after a full GC). Median (min–max)
 * of BENCH_RUNS runs (default 5).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";
import { CAPITALS } from "../src/agents/extract/brazilianStates.ts";
import { normalizeWords } from "../src/agents/extract/normalizeText.ts";
import { agentDefinitionSchema } from "../src/agents/runtime/agentDefinition.ts";
import { type AgentState, initialState, transition } from "../src/agents/runtime/transition.ts";
import { figure, fmt, percentile } from "./stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

const before = heap();
const { gazetteerFor } = await import("../src/agents/extract/createGazetteer.ts");
const lead = agentDefinitionSchema.parse(
  parse(readFileSync(join(ROOT, "agents/lead_qualification.yaml"), "utf8")),
);
const ctx = { cities: lead.data.cities };
gazetteerFor(ctx.cities);
const listMb = (heap() - before) / 1e6;

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? yamlFiles(path) : name.endsWith(".yaml") ? [path] : [];
  });
}
const storySchema = z.object({
  steps: z.array(z.looseObject({ user: z.unknown().optional(), burst: z.array(z.unknown()).optional() })),
});
/** Every `user: "text"` and `burst:` text of the story files, as data. */
function userTexts(dir: string): string[] {
  return yamlFiles(dir).flatMap((file) => {
    const story = storySchema.safeParse(parse(readFileSync(file, "utf8")));
    return (story.success ? story.data.steps : []).flatMap((s) => {
      if (typeof s.user === "string") return [s.user];
      return (s.burst ?? []).filter((t): t is string => typeof t === "string");
    });
  });
}
const texts = [
  ...userTexts(join(ROOT, "test/stories")),
  ...(statSync(join(ROOT, "../shared/dev/dialogues"), { throwIfNoEntry: false })
    ? userTexts(join(ROOT, "../shared/dev/dialogues"))
    : []),
];
const long = `${"moro aqui faz tempo e queria entender melhor essa conta ".repeat(70)}moro em Itabuna`.slice(
  0,
  4000,
);
texts.push(long, long.toUpperCase());

const NOW = new Date("2026-06-01T12:00:00Z");
const nameAsked = transition(lead, initialState(lead), { type: "start" }, NOW, ctx).state;
const cityAsked = transition(lead, nameAsked, { type: "message", text: "Marta" }, NOW, ctx).state;

function timeEach(fn: (text: string, s: AgentState) => unknown): number[] {
  const ms: number[] = [];
  for (const s of [nameAsked, cityAsked])
    for (const text of texts) {
      const t0 = performance.now();
      fn(text, s);
      ms.push(performance.now() - t0);
    }
  return ms;
}
const ours = (text: string, s: AgentState) => transition(lead, s, { type: "message", text }, NOW, ctx);
const shortTable = [...Object.values(CAPITALS), ...ctx.cities.map((c) => c.name)];
const baseline = (text: string) => {
  const said = ` ${normalizeWords(text)} `;
  return shortTable.find((name) => said.includes(` ${normalizeWords(name)} `));
};

// Warm-up, then measured runs.
timeEach(ours);
timeEach(baseline);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const p50: number[] = [];
const p95: number[] = [];
const max: number[] = [];
const baseP95: number[] = [];
for (let r = 0; r < runs; r++) {
  const ms = timeEach(ours);
  p50.push(percentile(ms, 50));
  p95.push(percentile(ms, 95));
  max.push(Math.max(...ms));
  baseP95.push(percentile(timeEach(baseline), 95));
}
const ratio = figure(p95.map((v, i) => v / Math.max(1e-6, baseP95[i] ?? 1e-6)));
console.log(
  `${texts.length * 2} messages per run (${texts.length} texts × name and city asked), ${runs} runs`,
);
console.log(
  `message interpretation (whole transition): p50 ${fmt(figure(p50), " ms")}, p95 ${fmt(figure(p95), " ms")}, max ${fmt(figure(max), " ms")}  (target p95 < 5 ms)`,
);
console.log(
  `baseline (fold + scan of a ${shortTable.length}-city table): p95 ${fmt(figure(baseP95), " ms")}; ratio p95 ours/baseline ${fmt(ratio)}`,
);
console.log(
  `municipality list + index: ${listMb.toFixed(1)} MB of heap${gc ? "" : " (run with --expose-gc for an exact figure)"}  (target < 20 MB)`,
);
