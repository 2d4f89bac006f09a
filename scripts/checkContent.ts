/**
 * `npm run check:content [root]`: validates agents/ and prompts/ as the service does at start-up
 * and prints every problem as file:line: message. Exit 1 when there is any.
 */
import { resolve } from "node:path";
import { ContentError, loadContent } from "../src/content/loadContent.ts";

const root = resolve(process.argv[2] ?? ".");
try {
  const { agents, prompts } = await loadContent(root);
  console.log(`content ok: ${agents.size} agent(s), ${prompts.size} prompt(s)`);
} catch (err) {
  if (!(err instanceof ContentError)) throw err;
  for (const p of err.problems) console.error(p);
  console.error(`${err.problems.length} problem(s)`);
  process.exit(1);
}
