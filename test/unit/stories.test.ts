import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { checkExpectations, type Observed } from "../../src/stories/checkExpectations.ts";
import { canonicalJson, requestKey } from "../../src/stories/llmReplayServer.ts";
import { seenReply } from "../../src/stories/runStories.ts";
import { parseDuration, parseStory } from "../../src/stories/storySchema.ts";

test("the example story of ../shared/docs/stories.md parses unchanged", () => {
  const doc = readFileSync(new URL("../../../shared/docs/stories.md", import.meta.url), "utf8");
  const yaml = /## Example\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(yaml, "the contract has an example");
  const r = parseStory(yaml, "example.yaml");
  assert.ok(r.ok, r.ok ? "" : r.problems.join("\n"));
  assert.equal(r.story.steps.length, 5);
  assert.deepEqual(
    r.story.steps.map((s) => [s.kind, s.line]),
    [
      ["user", 4],
      ["user", 6],
      ["user", 7],
      ["user", 9],
      ["user", 11],
    ],
  );
  assert.equal(r.story.llm, "offline", "default LLM mode");
  assert.equal(r.story.start, "2026-01-05T10:00:00-03:00", "default fake clock start");
  assert.equal(r.story.expect?.template, "prosseguir_com_solicitacao");
});

test("every problem is reported with file:line, the top level and the steps together", () => {
  const r = parseStory(
    [
      "name: x", //1
      "agnet: lead", //2
      "steps:", //3
      "  - user: oi", //4
      "    expect: { reply_contain: [a] }", //5
      "  - wait: 3 dias", //6
      "  - user: { sticker: a.webp }", //7
      "  - user: oi", //8
      "    operator: ola", //9
    ].join("\n"),
    "s.yaml",
  );
  assert.ok(!r.ok);
  const problems = r.problems.join("\n");
  assert.match(problems, /s\.yaml:2: story: Unrecognized key: "agnet"/);
  assert.match(problems, /s\.yaml:5: steps\.0\.expect: Unrecognized key: "reply_contain"/);
  assert.match(problems, /s\.yaml:6: steps\.1\.wait: a duration like/);
  assert.match(problems, /s\.yaml:7: steps\.2\.user/);
  assert.match(problems, /s\.yaml:8: steps\.3: a step is exactly one of/);
  const broken = parseStory("name: [unclosed", "b.yaml");
  assert.ok(!broken.ok && /^b\.yaml:1: /.test(broken.problems[0] ?? ""));
});

test("durations", () => {
  assert.equal(parseDuration("25h"), 25 * 3600_000);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("2d"), 2 * 86_400_000);
  assert.equal(parseDuration("1.5m"), 90_000);
});

const observed = (over: Partial<Observed> = {}): Observed => ({
  replies: [],
  state: "ask_bill",
  slots: { name: "Maria Souza", city: "São Paulo", monthly_bill_brl: 449.9 },
  handoff: false,
  lead: undefined,
  optedOut: false,
  ...over,
});

test("expectations: text is compared without case and accents; numbers within 1%", () => {
  const o = observed({
    replies: [{ kind: "text", text: "Qual é o seu NOME?", buttons: [] }],
  });
  const ok = checkExpectations(
    {
      reply_contains: ["qual e o seu nome"],
      reply_not_contains: ["cpf"],
      reply_matches: "seu\\s+nome",
      replies: 1,
      replies_max: 2,
      no_reply: false,
      state: "ask_bill",
      slots: { name: "maria souza", city: "Sao Paulo", monthly_bill_brl: 450 },
      slots_absent: ["email"],
      handoff: false,
      opted_out: false,
    },
    o,
  );
  assert.deepEqual(
    ok.filter((c) => !c.ok),
    [],
  );
  const bad = checkExpectations(
    {
      reply_contains: ["endereço"],
      replies: 2,
      no_reply: true,
      slots: { monthly_bill_brl: 500, city: "Recife" },
      slots_absent: ["name"],
      lead: { name: "Maria" },
      buttons: ["Casa"],
      template: "lembrete",
    },
    o,
  );
  assert.deepEqual(
    bad.filter((c) => !c.ok).map((c) => c.key),
    [
      "reply_contains",
      "replies",
      "no_reply",
      "buttons",
      "template",
      "slots.monthly_bill_brl",
      "slots.city",
      "slots_absent.name",
      "lead.name",
    ],
  );
});

test("what the customer reads: interactive body and options, template name and parameters", () => {
  const buttons = seenReply({
    type: "interactive",
    interactive: {
      type: "button",
      body: { text: "Que tipo de imóvel?" },
      action: {
        buttons: [{ reply: { id: "casa", title: "Casa" } }, { reply: { id: "apto", title: "Apartamento" } }],
      },
    },
  });
  assert.equal(buttons.text, "Que tipo de imóvel?\nCasa\nApartamento");
  assert.deepEqual(buttons.buttons, ["Casa", "Apartamento"]);
  const template = seenReply({
    type: "template",
    template: {
      name: "prosseguir_com_solicitacao",
      components: [{ type: "body", parameters: [{ type: "text", text: "Maria" }] }],
    },
  });
  assert.equal(template.template, "prosseguir_com_solicitacao");
  assert.match(template.text, /Maria/);
});

test("recording keys: stable under key order, blind to the model name, sensitive to the messages", () => {
  const a = { model: "gpt-4o-mini", messages: [{ role: "user", content: "oi" }], temperature: 0 };
  const b = { temperature: 0, messages: [{ content: "oi", role: "user" }], model: "llama-3" };
  assert.equal(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] }), '{"a":[2,{"c":2,"d":1}],"b":1}');
  assert.equal(requestKey(a), requestKey(b));
  assert.notEqual(requestKey(a), requestKey({ ...a, messages: [{ role: "user", content: "olá" }] }));
});
