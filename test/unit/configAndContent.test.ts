import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { agentDefinitionSchema } from "../../src/agents/runtime/agentDefinition.ts";
import { decideTurn, readAgentState } from "../../src/agents/runtime/decideTurn.ts";
import { ConfigError, loadConfig } from "../../src/config/loadConfig.ts";
import { ContentError, loadContent } from "../../src/content/loadContent.ts";
import { parseAgent } from "../../src/content/parseAgent.ts";
import { parsePrompt, renderPrompt } from "../../src/content/parsePrompt.ts";
import { redactText, redactValue } from "../../src/shared/redact.ts";

test("loadConfig: defaults, coercion, frozen result, sandbox when no token", () => {
  const c = loadConfig({ PORT: "8080", TURN_DEBOUNCE_MS: "" });
  assert.equal(c.PORT, 8080);
  assert.equal(c.TURN_DEBOUNCE_MS, 2000, "empty means default");
  assert.equal(c.ROLE, "all");
  assert.equal(c.sandbox, true);
  assert.ok(Object.isFrozen(c));
  assert.equal(loadConfig({ WHATSAPP_ACCESS_TOKEN: "EAAx" }).sandbox, false);
});

test("loadConfig reports every bad variable at once", () => {
  try {
    loadConfig({ PORT: "abc", ROLE: "boss", LOG_LEVEL: "loud", WHATSAPP_GRAPH_BASE_URL: "not a url" });
    assert.fail("should throw");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const keys = err.problems.map((p) => p.split(":")[0]).sort();
    assert.deepEqual(keys, ["LOG_LEVEL", "PORT", "ROLE", "WHATSAPP_GRAPH_BASE_URL"]);
  }
});

test("production refuses to start without secrets and a database", () => {
  try {
    loadConfig({ NODE_ENV: "production" });
    assert.fail("should throw");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems.map((p) => p.split(":")[0]).sort(), [
      "ADMIN_TOKEN",
      "DATABASE_URL",
      "WHATSAPP_APP_SECRET",
      "WHATSAPP_VERIFY_TOKEN",
    ]);
  }
});

const GOOD = `id: echo
version: 2
slots: {}
initial: listening
states:
  listening:
    respond: { prompt: echo.reply, unsupported: echo.unsupported }
`;

test("agent files: a valid one parses; errors name file:line", () => {
  assert.equal(parseAgent(GOOD, "agents/echo.yaml").ok, true);
  const bad = GOOD.replace(
    "respond: { prompt: echo.reply, unsupported: echo.unsupported }",
    "respond: { promt: echo.reply }",
  ).replace("version: 2", "version: 2\nextra: 2");
  const r = parseAgent(bad, "agents/echo.yaml");
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.ok(
    r.problems.some((p) => /^agents\/echo\.yaml:8: states\.listening\.respond/.test(p)),
    r.problems.join("\n"),
  );
  assert.ok(
    r.problems.some((p) => /^agents\/echo\.yaml:1: .*extra/.test(p)),
    r.problems.join("\n"),
  );
  const broken = parseAgent("id: echo\nstates: [unclosed\n", "agents/x.yaml");
  assert.equal(broken.ok, false);
  if (!broken.ok) assert.match(broken.problems[0] ?? "", /^agents\/x\.yaml:\d+: /);
});

const prompt = (id: string, variables: string[], body: string) =>
  `---\nid: ${id}\nvariables: [${variables.join(", ")}]\n---\n${body}\n`;

test("prompt files: front matter, declared variables, logic-less rendering", () => {
  const ok = parsePrompt(prompt("echo.reply", ["texts"], "Recebi: {{texts}}"), "prompts/a.md");
  assert.equal(ok.ok, true);
  if (ok.ok) assert.equal(renderPrompt(ok.prompt, { texts: "oi | tudo bem" }), "Recebi: oi | tudo bem");
  if (ok.ok) assert.throws(() => renderPrompt(ok.prompt, {}), /no value for \{\{texts\}\}/);
  const undeclared = parsePrompt(prompt("a", [], "Olá {{nome}}!\nTchau"), "prompts/a.md");
  assert.deepEqual(undeclared.ok ? [] : undeclared.problems, [
    "prompts/a.md:5: {{nome}} is not one of the declared variables (none)",
  ]);
  const unused = parsePrompt(prompt("a", ["nome"], "Olá!"), "prompts/a.md");
  assert.deepEqual(unused.ok ? [] : unused.problems, [
    'prompts/a.md:1: variable "nome" is declared but the text never uses it',
  ]);
  const badId = parsePrompt("---\nid: Bad Id\n---\nx\n", "prompts/b.md");
  assert.match(badId.ok ? "" : (badId.problems[0] ?? ""), /^prompts\/b\.md:2: id: /);
  assert.equal(parsePrompt("no front matter", "prompts/c.md").ok, false);
});

test("echo agent on the runtime: bursts answered together in order; silent types ignored; unsupported once", () => {
  const def = agentDefinitionSchema.parse(parseYaml(GOOD));
  const now = new Date("2026-01-05T13:00:00Z");
  const out = decideTurn(
    def,
    readAgentState(def, undefined),
    [
      { type: "text", text: "oi" },
      { type: "reaction", text: null },
      { type: "sticker", text: null },
      { type: "text", text: " tudo bem? " },
      { type: "audio", text: null },
    ],
    now,
    { cities: [] },
  );
  assert.deepEqual(out.effects, [
    { type: "reply", prompt: "echo.reply", vars: { texts: "oi | tudo bem?" } },
    { type: "reply", prompt: "echo.unsupported", vars: {} },
  ]);
  assert.equal(out.state.state, "listening");
  assert.deepEqual(
    decideTurn(def, out.state, [{ type: "reaction", text: null }], now, { cities: [] }).effects,
    [],
  );
  assert.deepEqual(
    readAgentState(def, { turns: 3 }).state,
    "listening",
    "an unknown stored state starts fresh",
  );
});

test("the shipped content is valid; a broken copy is refused with every problem as file:line", async () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const content = await loadContent(root);
  assert.ok(content.agents.has("echo"));
  const dir = mkdtempSync(join(tmpdir(), "content-"));
  try {
    mkdirSync(join(dir, "agents"));
    mkdirSync(join(dir, "prompts"));
    writeFileSync(join(dir, "agents", "echo.yaml"), GOOD.replace("echo.unsupported", "echo.missing"));
    writeFileSync(join(dir, "prompts", "reply.md"), prompt("echo.reply", ["txt"], "Recebi: {{txt}}"));
    writeFileSync(join(dir, "prompts", "bad.md"), prompt("echo.other", [], "Olá {{nome}}"));
    await assert.rejects(loadContent(dir), (err: unknown) => {
      assert.ok(err instanceof ContentError);
      assert.deepEqual(err.problems.sort(), [
        'agents/echo.yaml:7: states.listening: no prompt "echo.missing" in prompts/',
        'agents/echo.yaml:7: states.listening: prompt "echo.reply" uses {{txt}}, which this state cannot give (prompts/reply.md)',
        "prompts/bad.md:5: {{nome}} is not one of the declared variables (none)",
      ]);
      return true;
    });
    const run = spawnSync(
      process.execPath,
      [fileURLToPath(new URL("../../scripts/checkContent.ts", import.meta.url)), dir],
      {
        encoding: "utf8",
      },
    );
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^agents\/echo\.yaml:7: /m);
    assert.match(run.stderr, /3 problem\(s\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("logs never carry phone numbers, CPF or tokens", () => {
  assert.equal(redactText("cliente +5511987654321 cpf 123.456.789-09"), "cliente [phone] cpf [cpf]");
  assert.equal(redactText("Authorization: Bearer EAAabc.def"), "Authorization: Bearer [token]");
  assert.deepEqual(
    redactValue({ to: "5511987654321", authorization: "x", nested: { cpf: "1", note: "12345678909" } }),
    {
      to: "[phone]",
      authorization: "[redacted]",
      nested: { cpf: "[redacted]", note: "[cpf]" },
    },
  );
});

test("routing: several agents need agents/routing.yaml; unknown agents and bad choice slots are file:line errors", async () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  assert.deepEqual((await loadContent(root)).routing, {
    default: "lead_qualification",
    phoneNumbers: {},
    questions: "faq",
  });
  const demo = fileURLToPath(new URL("../stories/demo", import.meta.url));
  assert.equal((await loadContent(demo)).routing.default, "demo_qualify", "one agent: it is the default");
  const dir = mkdtempSync(join(tmpdir(), "content-"));
  try {
    mkdirSync(join(dir, "agents"));
    mkdirSync(join(dir, "prompts"));
    writeFileSync(join(dir, "agents", "echo.yaml"), GOOD);
    writeFileSync(join(dir, "agents", "other.yaml"), GOOD.replace("id: echo", "id: other"));
    writeFileSync(join(dir, "prompts", "reply.md"), prompt("echo.reply", ["texts"], "Recebi: {{texts}}"));
    writeFileSync(join(dir, "prompts", "unsupported.md"), prompt("echo.unsupported", [], "Só texto."));
    await assert.rejects(loadContent(dir), (err: unknown) => {
      assert.ok(err instanceof ContentError);
      assert.deepEqual(err.problems, [
        "agents/routing.yaml: missing: with several agents, say which one answers new conversations (default: <agent id>)",
      ]);
      return true;
    });
    writeFileSync(
      join(dir, "agents", "routing.yaml"),
      'default: echo\nphone_numbers:\n  "1065": other\n  "2077": nobody\n',
    );
    writeFileSync(
      join(dir, "agents", "other.yaml"),
      GOOD.replace("id: echo", "id: other").replace(
        "slots: {}",
        "slots:\n  kind: { type: choice }\n  size: { type: text, options: [{ id: a, title: A }, { id: b, title: B }] }\n  owner: { type: text, means: account_holder }",
      ),
    );
    await assert.rejects(loadContent(dir), (err: unknown) => {
      assert.ok(err instanceof ContentError);
      const problems = err.problems.join("\n");
      assert.match(problems, /agents\/other\.yaml:\d+: slots\.kind: a choice slot needs options/);
      assert.match(problems, /agents\/other\.yaml:\d+: slots\.size: a choice slot needs options/);
      assert.match(problems, /agents\/other\.yaml:\d+: slots\.owner: `means` .* is for yes_no slots only/);
      return true;
    });
    writeFileSync(join(dir, "agents", "other.yaml"), GOOD.replace("id: echo", "id: other"));
    await assert.rejects(loadContent(dir), (err: unknown) => {
      assert.ok(err instanceof ContentError);
      assert.deepEqual(err.problems, [
        'agents/routing.yaml:4: phone_numbers.2077: no agent "nobody" (agents: echo, other)',
      ]);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
