// `npm run kb:index [-- --knowledge DIR] [--synonyms FILE] [--force]`: validates the knowledge base
// (KNOWLEDGE_DIR or ./knowledge) and indexes it into DATABASE_URL when its content changed.
// Prints every problem as file:line: message and exits 1 on any.
import { parseArgs } from "node:util";
import pg from "pg";
import { migrate, readMigrations } from "../src/db/migrate.ts";
import { createLogger } from "../src/ops/createLogger.ts";
import { indexKnowledge } from "../src/tools/rag/indexKnowledge.ts";
import { KnowledgeError, loadKnowledge } from "../src/tools/rag/loadKnowledge.ts";

const { values } = parseArgs({
  options: {
    knowledge: { type: "string", default: process.env.KNOWLEDGE_DIR ?? "knowledge" },
    synonyms: { type: "string" },
    force: { type: "boolean", default: false },
  },
});
const url = process.env.DATABASE_URL;
try {
  const knowledge = await loadKnowledge(
    values.knowledge,
    values.synonyms ? { synonymsFile: values.synonyms } : {},
  );
  if (!url) {
    console.log(`knowledge ok: ${knowledge.pages.length} page(s); set DATABASE_URL to index them`);
    process.exit(0);
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await migrate(
      pool,
      await readMigrations(new URL("../migrations", import.meta.url).pathname),
      createLogger("warn"),
    );
    const result = await indexKnowledge(pool, knowledge, { force: values.force });
    console.log(
      result.indexed
        ? `indexed ${result.pages} page(s), ${result.chunks} chunk(s) in ${result.ms} ms`
        : `unchanged: ${result.pages} page(s) already indexed`,
    );
  } finally {
    await pool.end();
  }
} catch (err) {
  if (!(err instanceof KnowledgeError)) throw err;
  for (const p of err.problems) console.error(p);
  console.error(`${err.problems.length} problem(s)`);
  process.exit(1);
}
