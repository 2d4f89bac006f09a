/**
 * `npm run stories -- [options] <files or folders>…` — runs conversation stories
 * (../shared/docs/stories.md) against the real service on throwaway databases. Default folder:
 * test/stories. Options:
 *   --content DIR     where agents/ and prompts/ are (default: the nearest folder above each
 *                     story that has both, else the project root)
 *   --json FILE       also write per-story results (every check, slot values, turn latencies)
 *   --record          refresh fixtures/llm/ for `llm: recorded` stories against LLM_BASE_URL
 *   --fixtures DIR    recordings for `llm: recorded` (default: fixtures/llm)
 *   --timeout MS      how long one step may take to go idle (default 20000)
 *   --log-level L     the service's log level (default: error)
 * Databases: DATABASE_URL's server if set (a database is created and dropped per run), else an
 * embedded PostgreSQL in a temporary directory.
 */
import { readdir, stat, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../src/config/loadConfig.ts";
import { startService } from "../src/main.ts";
import { createLogger } from "../src/ops/createLogger.ts";
import { runStories } from "../src/stories/runStories.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    content: { type: "string" },
    json: { type: "string" },
    record: { type: "boolean", default: false },
    fixtures: { type: "string" },
    timeout: { type: "string", default: "20000" },
    "log-level": { type: "string", default: "error" },
  },
});

async function storyFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`${path}: no such file or folder`);
  if (info.isFile()) return [path];
  const found: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const child = join(path, entry.name);
    // A story folder may carry its own agents/ and prompts/: those are content, not stories.
    if (entry.isDirectory()) {
      if (!["agents", "prompts", "node_modules"].includes(entry.name))
        found.push(...(await storyFiles(child)));
    } else if (/\.ya?ml$/.test(entry.name)) found.push(child);
  }
  return found;
}

let config: ReturnType<typeof loadConfig>;
try {
  // The one place this command reads the environment: the database server and the LLM provider.
  config = loadConfig(process.env);
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(2);
}
const level = values["log-level"];
const logLevel = ["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(level)
  ? level
  : "error";
const files = (
  await Promise.all((positionals.length > 0 ? positionals : ["test/stories"]).map(storyFiles))
).flat();
if (files.length === 0) {
  console.error("no story files (*.yaml) found");
  process.exit(2);
}
const started = performance.now();
const reports = await runStories({
  files: files.map((f) => relative(process.cwd(), resolve(f)) || f),
  ...(values.content ? { contentDir: resolve(values.content) } : {}),
  rootDir: ROOT,
  ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}),
  fixturesDir: resolve(values.fixtures ?? join(ROOT, "fixtures/llm")),
  record: values.record,
  ...(config.LLM_BASE_URL
    ? {
        live: { baseUrl: config.LLM_BASE_URL, apiKey: config.LLM_API_KEY ?? "none", model: config.LLM_MODEL },
      }
    : {}),
  stepTimeoutMs: Number(values.timeout) || 20000,
  logger: createLogger(logLevel),
  startService: (cfg, options) => startService(cfg, options),
  print: (line) => console.log(line),
});
const failed = reports.filter((r) => !r.ok).length;
console.log(
  `${reports.length - failed} passed, ${failed} failed  (${((performance.now() - started) / 1000).toFixed(1)} s)`,
);
if (values.json) await writeFile(values.json, `${JSON.stringify({ stories: reports }, null, 2)}\n`);
process.exit(failed > 0 ? 1 : 0);
