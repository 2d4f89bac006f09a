import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readCookie } from "../../src/console/consoleAuth.ts";
import { createLoginLimiter } from "../../src/console/loginLimiter.ts";
import { renderInbound, renderOutbound, summarizeReading } from "../../src/console/renderMessage.ts";
import { loadContent } from "../../src/content/loadContent.ts";
import { createTrace } from "../../src/conversation/turnTrace.ts";
import { editedSlots } from "../../src/handoff/reviewLead.ts";
import { resumeState } from "../../src/handoff/takeOver.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

describe("login limiter", () => {
  it("after the allowed failures an address waits, doubling per further failure; others never wait; success forgets", () => {
    const l = createLoginLimiter({ maxFailures: 3, windowMs: 60_000, baseDelayMs: 1000 });
    l.fail("a", 0);
    l.fail("a", 100);
    assert.equal(l.blockedFor("a", 150), 0);
    l.fail("a", 200);
    assert.equal(l.blockedFor("a", 250), 950, "1 s from the last failure");
    assert.equal(l.blockedFor("b", 250), 0, "other addresses are not affected");
    assert.equal(l.blockedFor("a", 1200), 0);
    l.fail("a", 1300);
    assert.equal(l.blockedFor("a", 1300), 2000, "then 2 s");
    l.fail("a", 3300);
    assert.equal(l.blockedFor("a", 3300), 4000, "then 4 s");
    for (let t = 8000; t < 20_000; t += 10) l.fail("a", t);
    assert.equal(l.blockedFor("a", 20_000), 59_990, "never more than the window");
    l.succeed("a");
    assert.equal(l.blockedFor("a", 20_000), 0);
  });
});

describe("review edits", () => {
  it("keep each slot's type and report what cannot be read", () => {
    const current = { monthly_bill_brl: 450, is_account_holder: true, city: "Recife" };
    assert.deepEqual(
      editedSlots(current, { monthly_bill_brl: "R$ 1.234,56", is_account_holder: "não", city: " Olinda " }),
      { slots: { monthly_bill_brl: 1234.56, is_account_holder: false, city: "Olinda" }, problems: [] },
    );
    assert.deepEqual(editedSlots(current, { monthly_bill_brl: "500" }).slots, { monthly_bill_brl: 500 });
    assert.deepEqual(
      editedSlots(current, { monthly_bill_brl: "caro", is_account_holder: "talvez", city: "" }).problems,
      ['monthly_bill_brl: "caro" is not a number', "is_account_holder: answer sim or não", "city: empty"],
    );
  });
});

describe("give back to the bot", async () => {
  const { agents } = await loadContent(ROOT);
  const def = agents.get("lead_qualification")?.definition;
  assert.ok(def);
  it("a handed-off conversation resumes from the first question with its slots; an opted-out one stays", () => {
    const handedOff = {
      state: "handoff",
      slots: { name: "Paulo" },
      misses: 3,
      done: true,
      updatedAt: null,
      inferred: [],
      asked: [],
    };
    const resumed = resumeState(def, handedOff);
    assert.equal(resumed.state, def.initial);
    assert.equal(resumed.done, false);
    assert.equal(resumed.misses, 0);
    assert.deepEqual(resumed.slots, { name: "Paulo" });
    const optedOut = { ...handedOff, state: def.global.opt_out?.to ?? "opted_out" };
    assert.equal(resumeState(def, optedOut), optedOut);
    const running = { ...handedOff, done: false, state: "ask_city" };
    assert.equal(resumeState(def, running), running);
  });
});

describe("message rendering", () => {
  it("shows replies, buttons, media and templates as data", () => {
    assert.deepEqual(
      renderInbound({
        type: "interactive",
        text: "Casa",
        body: { interactive: { type: "button_reply", button_reply: { id: "casa", title: "Casa" } } },
        media: null,
      }),
      { kind: "button_reply", id: "casa", title: "Casa" },
    );
    const media = renderInbound({
      type: "document",
      text: null,
      body: { document: { filename: "conta.pdf", mime_type: "application/pdf", caption: "minha conta" } },
      media: {
        id: 7,
        status: "ready",
        reason: null,
        has_bytes: true,
        result: {
          kind: "bill",
          isBill: true,
          fields: {
            distributor: { value: "Cemig", confidence: "high" },
            amount_due_brl: { value: 321.5, confidence: "medium" },
          },
          problems: [],
        },
      },
    });
    assert.deepEqual(media, {
      kind: "media",
      mediaType: "document",
      caption: "minha conta",
      filename: "conta.pdf",
      mimeType: "application/pdf",
      url: "/console/api/media/7",
      processing: {
        status: "ready",
        reason: null,
        summary: "distributor: Cemig (high), amount_due_brl: 321.5 (medium)",
      },
    });
    assert.equal(summarizeReading({ kind: "refused", reason: "too_big" }), "refused: too_big");
    assert.deepEqual(renderInbound({ type: "text", text: "<script>x</script>", body: {}, media: null }), {
      kind: "text",
      text: "<script>x</script>",
    });
    const templates = new Map([
      [
        "t",
        {
          name: "t",
          language: "pt_BR",
          category: "UTILITY" as const,
          body: "Olá {{1}}, sua conta de {{2}}",
          parameters: ["name", "month"],
          buttons: ["Sim"],
          file: "t.yaml",
        },
      ],
    ]);
    assert.deepEqual(
      renderOutbound(
        {
          type: "template",
          name: "t",
          language: "pt_BR",
          components: [
            {
              type: "body",
              parameters: [
                { type: "text", text: "Ana" },
                { type: "text", text: "maio" },
              ],
            },
          ],
        },
        templates,
      ),
      {
        kind: "template",
        name: "t",
        language: "pt_BR",
        text: "Olá Ana, sua conta de maio",
        buttons: ["Sim"],
      },
    );
    assert.deepEqual(renderOutbound({ nonsense: true }, templates), {
      kind: "other",
      type: "unknown",
      text: null,
    });
  });
});

describe("turn trace", () => {
  it("splits a turn into consecutive stages and measures the queue from the first arrival", () => {
    let t = 1000;
    const trace = createTrace(() => t);
    t = 1010;
    trace.mark("lock");
    t = 1300;
    trace.mark("llm", { promptTokens: 10 });
    const done = trace.finish([{ received_at: new Date(900) }, { received_at: new Date(950) }]);
    assert.equal(done.queueMs, 100);
    assert.deepEqual(done.stages, [
      { name: "lock", startMs: 0, ms: 10 },
      { name: "llm", startMs: 10, ms: 290, detail: { promptTokens: 10 } },
    ]);
  });
});

describe("cookies", () => {
  it("reads one cookie among several", () => {
    assert.equal(readCookie("a=1; wa_console=abc%3D; b=2", "wa_console"), "abc=");
    assert.equal(readCookie(undefined, "wa_console"), undefined);
    assert.equal(readCookie("xwa_console=1", "wa_console"), undefined);
  });
});
