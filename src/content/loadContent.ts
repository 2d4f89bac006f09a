import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { EchoAgentDefinition } from "../agents/echoAgent.ts";
import { parseAgent } from "../agents/loadAgents.ts";
import { type Prompt, parsePrompt } from "./parsePrompt.ts";

export type LoadedAgent = { definition: EchoAgentDefinition; file: string; hash: string };
export type Content = {
  agents: Map<string, LoadedAgent>;
  prompts: Map<string, Prompt>;
};

export class ContentError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid operator content:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

/**
 * Loads and validates everything operators edit — `agents/*.yaml` and `prompts/*.md` — and the links
 * between them (an agent's prompts exist and take the variables the agent passes). Every problem
 * is reported together as `file:line: message`; the service refuses to start on any.
 */
export async function loadContent(rootDir: string): Promise<Content> {
  const problems: string[] = [];
  const shown = (p: string) => relative(rootDir, p) || p;
  const prompts = new Map<string, Prompt>();
  const promptDir = join(rootDir, "prompts");
  for (const name of (await readdir(promptDir))
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .sort()) {
    const file = shown(join(promptDir, name));
    const result = parsePrompt(await readFile(join(promptDir, name), "utf8"), file);
    if (!result.ok) problems.push(...result.problems);
    else if (prompts.has(result.prompt.id))
      problems.push(`${file}:2: prompt id "${result.prompt.id}" is already used`);
    else prompts.set(result.prompt.id, result.prompt);
  }
  const agents = new Map<string, LoadedAgent>();
  const agentDir = join(rootDir, "agents");
  const agentFiles = (await readdir(agentDir))
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort();
  if (agentFiles.length === 0) problems.push(`${shown(agentDir)}: no agent definitions found`);
  for (const name of agentFiles) {
    const file = shown(join(agentDir, name));
    const text = await readFile(join(agentDir, name), "utf8");
    const result = parseAgent(text, file);
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    const def = result.definition;
    if (agents.has(def.id)) problems.push(`${file}:1: agent id "${def.id}" is already defined`);
    for (const [use, spec] of Object.entries(REQUIRED_PROMPTS)) {
      const id = def.prompts[use as keyof typeof REQUIRED_PROMPTS];
      const prompt = prompts.get(id);
      const line = lineOf(text, id);
      if (!prompt) problems.push(`${file}:${line}: prompts.${use}: no prompt with id "${id}" in prompts/`);
      else if (prompt.variables.join(",") !== spec.join(",")) {
        problems.push(
          `${file}:${line}: prompts.${use}: "${id}" must take exactly {{${spec.join("}}, {{") || ""}}} (${prompt.file} declares ${prompt.variables.join(", ") || "none"})`,
        );
      }
    }
    // The version logged with every turn covers the agent and the prompts it uses.
    const hash = createHash("sha256")
      .update(text)
      .update(
        Object.values(def.prompts)
          .map((id) => prompts.get(id)?.body ?? "")
          .join("\0"),
      )
      .digest("hex")
      .slice(0, 12);
    agents.set(def.id, { definition: def, file, hash });
  }
  if (problems.length > 0) throw new ContentError(problems);
  return { agents, prompts };
}

/** The variables the echo agent passes to each of its prompts. */
const REQUIRED_PROMPTS = { echo: ["texts"], unsupported: [] } as const;

function lineOf(text: string, needle: string): number {
  const i = text.split("\n").findIndex((l) => l.includes(needle));
  return i >= 0 ? i + 1 : 1;
}
