import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { AgentDefinition } from "../agents/runtime/agentDefinition.ts";
import { billPromptIds, checkAgent } from "../agents/runtime/checkAgent.ts";
import { BILL_VARS, COMPUTED_VARS } from "../agents/runtime/computeVars.ts";
import { guards } from "../agents/runtime/guards.ts";
import { lineOf, parseAgent } from "./parseAgent.ts";
import { type Prompt, parsePrompt } from "./parsePrompt.ts";
import { parseRouting, type Routing } from "./parseRouting.ts";
import { parseTemplate, type Template } from "./parseTemplate.ts";

export type LoadedAgent = { definition: AgentDefinition; file: string; hash: string };
export type Content = {
  agents: Map<string, LoadedAgent>;
  prompts: Map<string, Prompt>;
  routing: Routing;
  /** The template registry (templates/*.yaml), by name. */
  templates: Map<string, Template>;
};

const ROUTING_FILE = "routing.yaml";

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
  const templates = new Map<string, Template>();
  const templateDir = join(rootDir, "templates");
  for (const name of (await readdir(templateDir).catch(() => []))
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort()) {
    const file = shown(join(templateDir, name));
    const result = parseTemplate(await readFile(join(templateDir, name), "utf8"), file);
    if (!result.ok) problems.push(...result.problems);
    else if (templates.has(result.template.name))
      problems.push(`${file}:1: template "${result.template.name}" is already defined`);
    else templates.set(result.template.name, result.template);
  }
  const agents = new Map<string, LoadedAgent>();
  const agentDir = join(rootDir, "agents");
  const agentFiles = (await readdir(agentDir))
    .filter((f) => (f.endsWith(".yaml") || f.endsWith(".yml")) && f !== ROUTING_FILE)
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
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter });
    const at = (path: string) =>
      lineOf(
        doc,
        path.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k)),
        lineCounter,
      );
    for (const problem of checkAgent(def, new Set(prompts.keys()))) {
      const path = problem.split(":")[0] ?? "";
      problems.push(`${file}:${at(path)}: ${problem}`);
    }
    // A prompt may only use the variables the runtime gives it: {{texts}} for free-form answers,
    // the agent's slots and the computed quote (first_name, discount, …) everywhere else.
    const slotVars = new Set([...Object.keys(def.slots), ...COMPUTED_VARS, ...(def.bill ? BILL_VARS : [])]);
    for (const [name, st] of Object.entries(def.states)) {
      const uses: [string | undefined, Set<string>][] = [
        [st.respond?.prompt, new Set(["texts"])],
        [st.respond?.unsupported, new Set()],
        ...st.ask.flatMap((a): [string | undefined, Set<string>][] => [
          [a.prompt, slotVars],
          [a.reprompt, slotVars],
          [a.followup, slotVars],
          [a.several, slotVars],
        ]),
        [st.say, slotVars],
        [st.idle, slotVars],
        [def.global.opt_in?.prompt, slotVars],
        [def.global.question?.prompt, slotVars],
        [def.global.unsupported?.prompt, slotVars],
        [def.global.voice?.prompt, slotVars],
        ...billPromptIds(def).map(([, id]): [string, Set<string>] => [id, slotVars]),
        ...Object.entries(def.faq ?? {}).map(([key, id]): [string, Set<string>] => [
          id,
          key === "answer" ? new Set([...slotVars, "answer", "source"]) : slotVars,
        ]),
      ];
      const template = st.template ? templates.get(st.template.name) : undefined;
      if (st.template && !template)
        problems.push(
          `${file}:${at(`states.${name}.template`)}: states.${name}.template: no template "${st.template.name}" in templates/`,
        );
      if (st.template && template && template.parameters.length !== st.template.params.length)
        problems.push(
          `${file}:${at(`states.${name}.template`)}: states.${name}.template: "${st.template.name}" takes ${template.parameters.length} parameter(s) (${template.parameters.join(", ")}), ${st.template.params.length} given`,
        );
      for (const param of st.template?.params ?? []) {
        if (!slotVars.has(param))
          problems.push(
            `${file}:${at(`states.${name}.template`)}: states.${name}.template: parameter "${param}" is neither a slot nor one of ${COMPUTED_VARS.join(", ")}`,
          );
      }
      for (const [id, allowed] of uses) {
        const prompt = id ? prompts.get(id) : undefined;
        const extra = prompt?.variables.filter((v) => !allowed.has(v)) ?? [];
        if (prompt && extra.length > 0) {
          problems.push(
            `${file}:${at(`states.${name}`)}: states.${name}: prompt "${id}" uses {{${extra.join("}}, {{")}}}, which this state cannot give (${prompt.file})`,
          );
        }
      }
    }
    for (const [where, ref] of [
      ["follow_up.template", def.follow_up?.template],
      ["outside_window.template", def.outside_window?.template],
    ] as const) {
      if (!ref) continue;
      const template = templates.get(ref.name);
      if (!template) problems.push(`${file}:${at(where)}: ${where}: no template "${ref.name}" in templates/`);
      else if (template.parameters.length !== ref.params.length)
        problems.push(
          `${file}:${at(where)}: ${where}: "${ref.name}" takes ${template.parameters.length} parameter(s), ${ref.params.length} given`,
        );
      for (const param of ref.params)
        if (!slotVars.has(param))
          problems.push(`${file}:${at(where)}: ${where}: unknown variable "${param}"`);
    }
    for (const [name, guardsOf] of Object.entries(def.follow_up?.in_states ?? {})) {
      if (!(name in def.states))
        problems.push(
          `${file}:${at(`follow_up.in_states.${name}`)}: follow_up.in_states: no state "${name}"`,
        );
      for (const g of guardsOf)
        if (!(g.guard in guards))
          problems.push(
            `${file}:${at(`follow_up.in_states.${name}`)}: follow_up.in_states.${name}: unknown guard "${g.guard}"`,
          );
    }
    // The version logged with every turn covers the agent and the prompts.
    const hash = createHash("sha256")
      .update(text)
      .update([...prompts.values()].map((p) => `${p.id}\0${p.body}`).join("\0"))
      .digest("hex")
      .slice(0, 12);
    agents.set(def.id, { definition: def, file, hash });
  }
  // An agent may hand a conversation to another one: it must exist.
  for (const agent of agents.values())
    for (const [name, st] of Object.entries(agent.definition.states))
      if (st.switch_to && !agents.has(st.switch_to))
        problems.push(`${agent.file}:1: states.${name}.switch_to: no agent "${st.switch_to}"`);
      // One hand-over per turn: the agent taken over must not hand over again.
      else if (
        st.switch_to &&
        Object.values(agents.get(st.switch_to)?.definition.states ?? {}).some((x) => x.switch_to)
      )
        problems.push(
          `${agent.file}:1: states.${name}.switch_to: "${st.switch_to}" hands conversations over itself (one hand-over at a time)`,
        );
  let routing: Routing | undefined;
  const routingPath = join(agentDir, ROUTING_FILE);
  const routingText = await readFile(routingPath, "utf8").catch(() => undefined);
  if (routingText !== undefined) {
    const result = parseRouting(routingText, shown(routingPath), new Set(agents.keys()));
    if (result.ok) routing = result.routing;
    else problems.push(...result.problems);
  } else if (agents.size === 1) {
    routing = { default: [...agents.keys()][0] ?? "", phoneNumbers: {} };
  } else if (agents.size > 1) {
    problems.push(
      `${shown(routingPath)}: missing: with several agents, say which one answers new conversations (default: <agent id>)`,
    );
  }
  if (problems.length > 0 || !routing) throw new ContentError(problems);
  return { agents, prompts, routing, templates };
}
