import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { startTestService, type TestService, waitFor } from "../helpers/startTestService.ts";

const BILL = fileURLToPath(new URL("../../../shared/fixtures/bills/bill_01_clean.png", import.meta.url));
const RESULTS = fileURLToPath(new URL("../../test-results/", import.meta.url));
const PASSWORD = "senha-do-console-de-teste";
const WA = "5581999990001";

/**
 * The console in Debian's chromium (playwright-core, no browser download): a whole qualification in
 * the simulator with a bill photo that sends the lead to review, an operator takeover (a second
 * operator is told who has it), an operator reply, a review approval, and the clock moved past the
 * 24-hour window. Screenshots go to test-results/.
 */
describe("console and simulator in a real browser", () => {
  let t: TestService;
  let browser: Browser;
  const problems: string[] = [];
  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    t = await startTestService({ DEFAULT_AGENT: "", SIMULATOR: "on", CONSOLE_PASSWORD: PASSWORD });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  const open = async (operator: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    const page = await context.newPage();
    page.on("pageerror", (err) => problems.push(`${operator}: page error ${err.message}`));
    page.on("console", (m) => {
      // Chromium logs every 4xx as "Failed to load resource"; the page expects the ones it handles
      // (401 before login, 409 a conversation someone else has).
      if (
        m.type() === "error" &&
        !/Failed to load resource: the server responded with a status of (401|409)/.test(m.text())
      )
        problems.push(`${operator}: console error ${m.text()}`);
    });
    page.on("dialog", (d) => {
      // Only the erase confirmation may ask; an alert would be injected script running.
      if (d.type() !== "confirm") problems.push(`${operator}: unexpected ${d.type()} "${d.message()}"`);
      void d.accept();
    });
    await page.goto(`${t.url}/console`);
    await page.getByTestId("login-form").waitFor();
    await page.getByTestId("login-operator").fill(operator);
    await page.getByTestId("login-password").fill(PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("operator-name").filter({ hasText: operator }).waitFor();
    return page;
  };

  const lastBot = (page: Page) =>
    page.locator('[data-testid="chat"] [data-testid="msg"][data-direction="out"]').last();
  const say = async (page: Page, text: string, expectInReply: RegExp) => {
    const before = await page
      .locator('[data-testid="chat"] [data-testid="msg"][data-direction="out"]')
      .count();
    await page.getByTestId("sim-input").fill(text);
    await page.getByTestId("sim-send").click();
    await waitForBot(page, before, expectInReply);
  };
  const waitForBot = async (page: Page, before: number, expectInReply: RegExp, timeout = 30_000) => {
    const bubbles = page.locator('[data-testid="chat"] [data-testid="msg"][data-direction="out"]');
    await assertEventually(
      async () => assert.ok((await bubbles.count()) > before, "a new bot message"),
      timeout,
    );
    // The new messages of the turn, together (a turn may answer with several).
    await assertEventually(async () => {
      const texts = await bubbles.allInnerTexts();
      assert.match(texts.slice(before).join("\n"), expectInReply);
    }, timeout);
  };

  it("refuses a wrong password with a clear message", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${t.url}/console`);
    await page.getByTestId("login-operator").fill("Intrusa");
    await page.getByTestId("login-password").fill("errada");
    await page.getByTestId("login-submit").click();
    await assertEventually(async () =>
      assert.match(await page.getByTestId("login-error").innerText(), /Wrong password/),
    );
    await context.close();
  });

  it("qualifies a lead with a bill photo, takes it over, replies, approves the review and moves the clock", async (ctx) => {
    const ana = await open("Ana");
    // On failure, what the page looked like.
    ctx.after(async () => {
      await ana.screenshot({ path: `${RESULTS}last-state.png` }).catch(() => undefined);
    });
    await ana.getByTestId("tab-simulator").click();
    await ana.getByTestId("sim-waid").fill(WA);
    await ana.getByTestId("sim-name").fill("Paulo <img src=x onerror=alert(1)>");

    await say(ana, "Oi", /nome/i);
    await say(ana, "Paulo Mendes", /cidade/i);
    await say(ana, "Moro em Recife e minha conta é da Neoenergia", /conta de luz|valor|quanto/i);
    const beforeButtons = await ana
      .locator('[data-testid="chat"] [data-testid="msg"][data-direction="out"]')
      .count();
    await say(ana, "450 reais", /casa|empresa|comércio|tipo/i);
    assert.ok(beforeButtons > 0);
    // The customer-type question comes with reply buttons: tap one like on a phone.
    const before = await ana
      .locator('[data-testid="chat"] [data-testid="msg"][data-direction="out"]')
      .count();
    await lastBot(ana).getByTestId("reply-button").filter({ hasText: "Casa" }).click();
    await waitForBot(ana, before, /no seu nome/i);
    const beforeHolder = await ana
      .locator('[data-testid="chat"] [data-testid="msg"][data-direction="out"]')
      .count();
    await lastBot(ana).getByTestId("reply-button").filter({ hasText: "Sim" }).click();
    await waitForBot(ana, beforeHolder, /foto|conta/i);
    const quoted = await ana
      .locator('[data-testid="chat"] [data-testid="msg"][data-direction="out"]')
      .allInnerTexts();
    assert.ok(
      quoted.some((x) => /desconto|economia/i.test(x)),
      "the quote was sent when the lead qualified",
    );

    // A type the bot does not read is refused in the page, with the reason.
    await ana
      .getByTestId("sim-attach")
      .setInputFiles({ name: "notas.txt", mimeType: "text/plain", buffer: Buffer.from("oi") });
    await assertEventually(async () =>
      assert.match(await ana.getByTestId("upload-error").innerText(), /text\/plain|not accepted|type/i),
    );

    // The bill says Equatorial Goiás, not the Neoenergia the customer stated: review.
    const beforeBill = await ana
      .locator('[data-testid="chat"] [data-testid="msg"][data-direction="out"]')
      .count();
    await ana.getByTestId("sim-attach").setInputFiles(BILL);
    await waitForBot(ana, beforeBill, /especialista/i, 90_000);
    await ana.locator('[data-testid="chat"] img').first().waitFor();
    // Delivery ticks come from the status webhooks the sandbox sends (sent → delivered → read).
    await ana
      .locator('[data-testid="chat"] [data-testid="msg"][data-direction="out"][data-status="read"]')
      .first()
      .waitFor();
    // The inspector shows the last turn's state and its stages.
    await assertEventually(async () =>
      assert.match(await ana.getByTestId("turn-state").first().innerText(), /needs_review/),
    );
    await ana.locator('[data-testid="stage"][data-stage="decide"]').first().waitFor();
    await ana.screenshot({ path: `${RESULTS}simulator.png`, fullPage: false });

    const conversation = await t.db.query<{ id: number }>(
      "select id from conversations where customer_wa_id = $1",
      [WA],
    );
    const id = conversation.rows[0]?.id;
    assert.ok(id);
    const lead = await t.db.query<{ outcome: string }>(
      "select outcome from leads where conversation_id = $1",
      [id],
    );
    assert.equal(lead.rows[0]?.outcome, "needs_review");

    // Operator console: the review filter lists it; Ana takes it over.
    await ana.getByTestId("tab-conversations").click();
    await ana.getByTestId("filter-needs_review").click();
    await ana.locator(`[data-testid="conversation-row"][data-id="${id}"]`).click();
    await ana.getByTestId("takeover").click();
    await assertEventually(async () => assert.match(await ana.getByTestId("taken-by").innerText(), /Ana/));

    // Bia tries too and is told who has it.
    const bia = await open("Bia");
    await bia.getByTestId("tab-conversations").click();
    await bia.getByTestId("filter-all").click();
    await bia.locator(`[data-testid="conversation-row"][data-id="${id}"]`).click();
    await bia.getByTestId("takeover").click();
    await assertEventually(async () =>
      assert.match(await bia.getByTestId("takeover-error").innerText(), /Ana already has this conversation/),
    );

    // Ana answers in the window; the message shows in the history, marked as hers.
    await ana.getByTestId("reply-input").fill("Oi Paulo, aqui é a Ana. Vou conferir sua conta.");
    await ana.getByTestId("reply-send").click();
    await assertEventually(async () => {
      const texts = await ana.locator('[data-testid="msg"][data-direction="out"]').allInnerTexts();
      assert.ok(
        texts.some((x) => x.includes("aqui é a Ana")),
        texts.join(" | "),
      );
    });
    const outbox = await t.db.query<{ author: string }>(
      "select author from outbox where conversation_id = $1 and payload->>'text' like '%aqui é a Ana%'",
      [id],
    );
    assert.deepEqual(outbox.rows, [{ author: "operator:Ana" }]);
    await ana.screenshot({ path: `${RESULTS}console-takeover.png` });

    // Review: the bill image and its fields; correct the bill amount and approve.
    await ana.getByTestId("tab-review").click();
    const card = ana.locator('[data-testid="lead-card"]').first();
    await card.waitFor();
    await card.getByTestId("bill-image").waitFor();
    // The fields read from the bill, with the reader's confidence.
    assert.match(await card.innerText(), /distributor\s+Equatorial Goiás\s+high/);
    await ana.screenshot({ path: `${RESULTS}review.png` });
    const amount = card.getByTestId("lead-field-monthly_bill_brl");
    await amount.fill("312,45");
    await card.getByTestId("lead-note").fill("Distribuidora conferida na conta");
    await card.getByTestId("lead-approve").click();
    await assertEventually(async () => {
      const r = await t.db.query<{ outcome: string; slots: { monthly_bill_brl: number } }>(
        "select outcome, slots from leads where conversation_id = $1",
        [id],
      );
      assert.equal(r.rows[0]?.outcome, "qualified");
      assert.equal(r.rows[0]?.slots.monthly_bill_brl, 312.45);
    });
    await assertEventually(async () =>
      assert.equal(await ana.locator('[data-testid="lead-card"]').count(), 0),
    );

    // Back to the bot, then the clock past 24 hours: the window closes, templates only.
    await ana.getByTestId("tab-conversations").click();
    await ana.getByTestId("filter-all").click();
    await ana.locator(`[data-testid="conversation-row"][data-id="${id}"]`).click();
    await ana.getByTestId("release").click();
    await assertEventually(async () => {
      const r = await t.db.query("select taken_by from conversations where id = $1", [id]);
      assert.equal(r.rows[0]?.taken_by, null);
    });
    await ana.getByTestId("tab-simulator").click();
    await ana.getByTestId("clock-plus-25h").click();
    await assertEventually(async () =>
      assert.match(await ana.getByTestId("window-state").innerText(), /closed/i),
    );
    await ana.getByTestId("tab-conversations").click();
    await ana.locator(`[data-testid="conversation-row"][data-id="${id}"]`).click();
    await ana.getByTestId("template-select").waitFor();

    // Customer text was shown as text: the name with markup never ran (no dialog) and is visible.
    const names = await ana.locator("body").innerText();
    assert.match(names, /Paulo <img src=x onerror=alert\(1\)>/);
    assert.deepEqual(problems, []);
  });
});

async function assertEventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    "the page to show it",
    async () => {
      await check();
      return true;
    },
    timeoutMs,
  );
}
