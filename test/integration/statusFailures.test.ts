import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { FakeGraphApi, StatusScript } from "../helpers/fakeGraphApi.ts";
import {
  startServiceWithGraph,
  type TestService,
  textsSentTo,
  waitFor,
} from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// Meta accepts a message and reports its failure later, by status webhook (131047 when its clock
// says the 24-hour window closed; 131000 when something went wrong on its side). Against the fake
// Graph API posting those statuses, with the shipped lead-qualification agent and its fallback
// template: a failure reported this way acts like the same failure answered by the send call.
let graph: FakeGraphApi;
let svc: TestService;
let stop: () => Promise<void>;
before(async () => {
  ({ svc, graph, stop } = await startServiceWithGraph(
    {
      DEFAULT_AGENT: "lead_qualification",
      TURN_DEBOUNCE_MS: "50",
      SEND_RETRY_BASE_MS: "50",
    },
    { statusWebhooks: true },
  ));
  graph.templates.push({
    id: "2",
    name: "lembrete_conta_de_luz",
    language: "pt_BR",
    status: "APPROVED",
    category: "UTILITY",
  });
});
after(async () => {
  await stop();
});

const to = (c: string) => graph.sent.filter((s) => s.body.to === `+${c}`).map((s) => s.body);
const templatesTo = (c: string) => to(c).filter((b) => b.type === "template");

/** Waits until the customer's messages are all processed and no reply of theirs is unsettled. */
async function settled(customer: string): Promise<void> {
  await waitFor(`${customer} settled`, async () => {
    const { rows } = await svc.db.query<{ busy: number }>(
      `select (select count(*) from inbound_messages m where m.conversation_id = c.id and m.processed_at is null)
            + (select count(*) from outbox o where o.conversation_id = c.id and o.status in ('pending', 'sending'))
              as busy
         from conversations c where c.customer_wa_id = $1`,
      [customer],
    );
    return rows[0] && Number(rows[0].busy) === 0 ? true : undefined;
  });
}

/** Sends a customer message and waits until its turn ran and no reply of the customer is unsettled. */
async function say(customer: string, text: string): Promise<void> {
  await svc.post(textWebhook({ from: customer, text }));
  await settled(customer);
}

async function outboxOf(customer: string) {
  const { rows } = await svc.db.query<{ kind: string; status: string; error_code: number | null }>(
    `select o.kind, o.status, o.error_code from outbox o join conversations c on c.id = o.conversation_id
      where c.customer_wa_id = $1 order by o.seq`,
    [customer],
  );
  return rows;
}

test("131047 reported by status webhook turns the reply into the fallback template, once per turn", async () => {
  const c = "5581977770001";
  await say(c, "Oi");
  await say(c, "Carla Dias");
  const before = to(c).length;
  // From now on Meta accepts this customer's texts, then reports them failed: window closed.
  graph.setStatusScript((body) =>
    body.to === `+${c}` && body.type === "text"
      ? {
          delayMs: 100,
          statuses: [{ status: "failed", code: 131047, title: "Re-engagement message" }],
        }
      : undefined,
  );
  try {
    await svc.post(textWebhook({ from: c, text: "Recife" }));
    await waitFor("the fallback template", async () => (templatesTo(c).length > 0 ? true : undefined));
    await say(c, "Recife, ok?").catch(() => undefined);
  } finally {
    graph.setStatusScript(undefined);
  }
  const templates = templatesTo(c);
  assert.equal(templates.length, 1, "one template however many replies of the turn failed");
  const template = templates[0]?.template as
    | { name: string; components: { parameters: { text: string }[] }[] }
    | undefined;
  assert.equal(template?.name, "lembrete_conta_de_luz");
  assert.equal(template?.components[0]?.parameters[0]?.text, "Carla");
  assert.ok(to(c).length > before + 1, "the texts were accepted, then the template went out");
  const rows = await outboxOf(c);
  assert.ok(
    rows.some((r) => r.kind === "template" && r.error_code === 131047 && r.status === "delivered"),
    JSON.stringify(rows),
  );
  assert.deepEqual(graph.invalid(), []);
});

/**
 * The customer's first reply is reported by these statuses (then Meta behaves); waits until every
 * reply of theirs is delivered and returns the texts sent to them.
 */
async function firstReplyReported(c: string, statuses: StatusScript["statuses"]): Promise<string[]> {
  let attempts = 0;
  graph.setStatusScript((body) => (body.to !== `+${c}` || attempts++ > 0 ? undefined : { statuses }));
  try {
    await say(c, "Oi");
    await waitFor("the retry delivered", async () => {
      const rows = await outboxOf(c);
      return rows.length > 0 && rows.every((r) => r.status === "delivered") ? true : undefined;
    });
  } finally {
    graph.setStatusScript(undefined);
  }
  return textsSentTo(graph, c);
}

const somethingWentWrong = { status: "failed", code: 131000, title: "Something went wrong" } as const;

test("a transient failure reported by status webhook is sent again, and only that reply", async () => {
  const texts = await firstReplyReported("5581977770002", [somethingWentWrong]);
  const [first] = texts;
  assert.ok(first);
  assert.equal(texts.filter((t) => t === first).length, 2, "the failed reply went out a second time");
  assert.equal(new Set(texts).size, texts.length - 1, "no other reply was repeated");
});

test("a status of the failed attempt arriving late (out of order) does not settle the new attempt", async () => {
  // Meta posts statuses out of order: the first attempt's "failed", then its stale "sent".
  const texts = await firstReplyReported("5581977770003", [somethingWentWrong, { status: "sent" }]);
  assert.equal(texts.filter((t) => t === texts[0]).length, 2, "the failed reply was sent again");
});

test("131026 by status webhook: the reply stays failed, not resent, and the conversation says why", async () => {
  const c = "5581977770004";
  graph.setStatusScript((body) =>
    body.to === `+${c}`
      ? { statuses: [{ status: "failed", code: 131026, title: "Message undeliverable" }] }
      : undefined,
  );
  try {
    await say(c, "Oi");
    // The status webhook may land after the send settled as "sent".
    await waitFor("the failure recorded", async () =>
      (await outboxOf(c))[0]?.status === "failed" ? true : undefined,
    );
  } finally {
    graph.setStatusScript(undefined);
  }
  assert.deepEqual(
    (await outboxOf(c)).map((r) => [r.status, r.error_code]),
    [["failed", 131026]],
  );
  assert.equal(to(c).length, 1, "not resent");
  const { rows } = await svc.db.query<{ delivery_problem: string | null }>(
    "select delivery_problem from conversations where customer_wa_id = $1",
    [c],
  );
  assert.match(rows[0]?.delivery_problem ?? "", /^131026: undeliverable/);
});

test("30% of texts failed by 131047 status webhooks: each of those customers gets the template once", async () => {
  const customers = Array.from({ length: 20 }, (_, i) => `55819777710${String(i).padStart(2, "0")}`);
  await Promise.all(customers.map((c) => say(c, "Oi")));
  await Promise.all(customers.map((c, i) => say(c, `Cliente${String.fromCharCode(65 + i)} Souza`)));
  const failedFor = new Set<string>();
  graph.setStatusScript((body) => {
    const to = String(body.to).slice(1);
    if (!customers.includes(to) || body.type !== "text" || Math.random() >= 0.3) return undefined;
    failedFor.add(to);
    return { statuses: [{ status: "failed", code: 131047, title: "Re-engagement message" }] };
  });
  try {
    await Promise.all(customers.map((c) => say(c, "Recife")));
    // A failure webhook may land after its send settled as "sent": wait for the templates it causes,
    // then for every reply to settle.
    await waitFor("the fallback templates", async () =>
      [...failedFor].every((c) => templatesTo(c).length > 0) ? true : undefined,
    );
    await Promise.all(customers.map((c) => settled(c)));
  } finally {
    graph.setStatusScript(undefined);
  }
  assert.ok(failedFor.size > 0, "some texts failed");
  for (const c of customers) {
    const templates = templatesTo(c).length;
    assert.equal(templates, failedFor.has(c) ? 1 : 0, `${c}: ${templates} templates`);
  }
});
