import assert from "node:assert/strict";
import { test } from "node:test";
import { decideEcho, echoAgentSchema } from "../../src/agents/echoAgent.ts";
import { parseAgent } from "../../src/agents/loadAgents.ts";
import { ConfigError, loadConfig } from "../../src/config/loadConfig.ts";
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
version: 1
silent_types: [reaction]
replies:
  echo: "Recebi: {{texts}}"
  unsupported: "Não entendi"
`;

test("agent files: a valid one parses; errors name file:line", () => {
  assert.equal(parseAgent(GOOD, "agents/echo.yaml").ok, true);
  const bad = GOOD.replace('echo: "Recebi: {{texts}}"', 'echo: "Recebi"').replace(
    "version: 1",
    "version: 1\nextra: 2",
  );
  const r = parseAgent(bad, "agents/echo.yaml");
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.ok(
    r.problems.some((p) => /^agents\/echo\.yaml:6: replies\.echo: must use \{\{texts\}\}/.test(p)),
    r.problems.join("\n"),
  );
  assert.ok(
    r.problems.some((p) => /^agents\/echo\.yaml:1: .*extra/.test(p)),
    r.problems.join("\n"),
  );
  const broken = parseAgent("id: echo\nreplies: [unclosed\n", "agents/x.yaml");
  assert.equal(broken.ok, false);
  if (!broken.ok) assert.match(broken.problems[0] ?? "", /^agents\/x\.yaml:\d+: /);
});

test("echo agent: bursts answered together in order; silent types ignored; unsupported answered once", () => {
  const def = echoAgentSchema.parse({
    id: "echo",
    version: 1,
    silent_types: ["reaction"],
    replies: { echo: "Recebi: {{texts}}", unsupported: "Não entendi" },
  });
  const out = decideEcho(def, { turns: 0, messagesSeen: 0 }, [
    { waMessageId: "1", type: "text", text: "oi" },
    { waMessageId: "2", type: "reaction", text: null },
    { waMessageId: "3", type: "sticker", text: null },
    { waMessageId: "4", type: "text", text: " tudo bem? " },
    { waMessageId: "5", type: "audio", text: null },
  ]);
  assert.deepEqual(out.replies, [
    { type: "text", text: "Recebi: oi | tudo bem?" },
    { type: "text", text: "Não entendi" },
  ]);
  assert.deepEqual(out.state, { turns: 1, messagesSeen: 5 });
  assert.deepEqual(
    decideEcho(def, out.state, [{ waMessageId: "6", type: "reaction", text: null }]).replies,
    [],
  );
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
