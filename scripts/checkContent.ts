/**
 * `npm run check:content [root]`: validates agents/, prompts/, templates/ and knowledge/ as the
 * service does at start-up and prints every problem as file:line: message. Exit 1 when there is any.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ContentError, loadContent } from "../src/content/loadContent.ts";
import { KnowledgeError, loadKnowledge } from "../src/tools/rag/loadKnowledge.ts";

const root = resolve(process.argv[2] ?? ".");
const problems: string[] = [];
let summary = "";
try {
  const { agents, prompts } = await loadContent(root);
  summary = `${agents.size} agent(s), ${prompts.size} prompt(s)`;
} catch (err) {
  if (!(err instanceof ContentError)) throw err;
  problems.push(...err.problems);
}
const knowledgeDir = join(root, "knowledge");
if (existsSync(knowledgeDir)) {
  try {
    const knowledge = await loadKnowledge(knowledgeDir);
    summary += `, ${knowledge.pages.length} knowledge page(s)`;
  } catch (err) {
    if (!(err instanceof KnowledgeError)) throw err;
    problems.push(...err.problems);
  }
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`content ok: ${summary}`);
