import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type FakeGraphApi, type FakeResponse, metaErrors } from "../helpers/fakeGraphApi.ts";
import {
  startServiceWithGraph,
  type TestService,
  textsSentTo,
  waitFor,
} from "../helpers/startTestService.ts";
import { statusWebhook, textWebhook } from "../helpers/webhookPayloads.ts";

// The ambiguity policy: a send answered with a 502 page (no Meta error in it) may or may not have
// been taken by Meta. It is never resent at once; it is resent only on evidence that Meta did not
// take it (statuses arrive for messages sent after it while it stays silent); with no evidence at
// all it is handed to an operator after SEND_UNCONFIRMED_LIMIT_MS.
let graph: FakeGraphApi;
let svc: TestService;
let stop: () => Promise<void>;
before(async () => {
  ({ svc, graph, stop } = await startServiceWithGraph(
    {
      GRAPH_TIMEOUT_MS: "500",
      SEND_CONFIRM_TIMEOUT_MS: "1000",
      SEND_UNCONFIRMED_LIMIT_MS: "4000",
    },
    { statusWebhooks: true },
  ));
});
after(async () => {
  await stop();
});

const texts = (c: string) => textsSentTo(graph, c);

async function outboxOf(customer: string) {
  const { rows } = await svc.db.query<{ status: string; error_title: string | null }>(
    `select o.status, o.error_title from outbox o join conversations c on c.id = o.conversation_id
      where c.customer_wa_id = $1 order by o.seq`,
    [customer],
  );
  return rows;
}

/**
 * The customer's first send is taken by Meta but answered with `response` (an error page, a reset
 * connection); its statuses come 2.5 s later, past the confirm timeout. Returns the texts sent.
 */
async function acceptedButAnswered(c: string, response: FakeResponse): Promise<string[]> {
  let first = true;
  graph.setResponder((body) => {
    if (body.to !== `+${c}` || !first) return undefined;
    first = false;
    return { ...response, acceptedAnyway: true };
  });
  graph.setStatusScript((body) =>
    body.to === `+${c}`
      ? { delayMs: 2500, statuses: [{ status: "sent" }, { status: "delivered" }] }
      : undefined,
  );
  try {
    await svc.post(textWebhook({ from: c, text: "oi" }));
    await waitFor("the late statuses settle the reply", async () =>
      (await outboxOf(c))[0]?.status === "delivered" ? true : undefined,
    );
  } finally {
    graph.setResponder(undefined);
    graph.setStatusScript(undefined);
  }
  return texts(c);
}

test("accepted, answered with a 502 page, statuses 2.5 s late (past the confirm timeout): sent once", async () => {
  assert.deepEqual(await acceptedButAnswered("5571955550001", metaErrors.http502Html()), [
    "Recebi sua mensagem: oi",
  ]);
});

test("a 502 page for a message Meta never took: resent once statuses of later messages show it", async () => {
  const c = "5571955550002";
  let first = true;
  graph.setResponder((body) => {
    if (body.to !== `+${c}` || !first) return undefined;
    first = false;
    return metaErrors.http502Html();
  });
  try {
    await svc.post(textWebhook({ from: c, text: "oi" }));
    await waitFor("the send left unconfirmed", async () =>
      (await outboxOf(c))[0]?.status === "sending" ? true : undefined,
    );
    // Other customers' replies go out and Meta reports on them; ours stays silent.
    await svc.post(textWebhook({ from: "5571955550099", text: "outro cliente" }));
    await waitFor("resent after the evidence", async () => (texts(c).length > 0 ? true : undefined));
  } finally {
    graph.setResponder(undefined);
  }
  await waitFor("delivered", async () => ((await outboxOf(c))[0]?.status === "delivered" ? true : undefined));
  assert.deepEqual(texts(c), ["Recebi sua mensagem: oi"]);
});

test("no word from Meta and no evidence either way: handed to an operator, not resent", async () => {
  const c = "5571955550003";
  graph.setResponder((body) => (body.to === `+${c}` ? metaErrors.http502Html() : undefined));
  try {
    await svc.post(textWebhook({ from: c, text: "oi" }));
    await waitFor(
      "the reply handed to an operator",
      async () => ((await outboxOf(c))[0]?.status === "dead" ? true : undefined),
      15_000,
    );
  } finally {
    graph.setResponder(undefined);
  }
  const [row] = await outboxOf(c);
  assert.match(row?.error_title ?? "", /unconfirmed/);
  const { rows } = await svc.db.query<{ attention_reason: string | null }>(
    "select attention_reason from conversations where customer_wa_id = $1",
    [c],
  );
  assert.match(rows[0]?.attention_reason ?? "", /unconfirmed/);
  const attempts = graph.requests.filter((r) => (r.body as { to?: string } | undefined)?.to === `+${c}`);
  assert.equal(attempts.length, 1, "sent once, never resent blindly");
});

test("accepted, then the connection reset before the answer, statuses 2.5 s late: sent once", async () => {
  const reset = { status: 200, body: {}, reset: true };
  assert.deepEqual(await acceptedButAnswered("5571955550004", reset), ["Recebi sua mensagem: oi"]);
});

test("bad status input: an unknown message, an unknown error code, duplicates: stored, 200, nothing moves back", async () => {
  const c = "5571955550005";
  await svc.post(textWebhook({ from: c, text: "oi" }));
  await waitFor("delivered", async () => ((await outboxOf(c))[0]?.status === "delivered" ? true : undefined));
  const sent = graph.sent.find((s) => s.body.to === `+${c}`);
  assert.ok(sent);
  const failed = {
    wamid: sent.wamid,
    status: "failed",
    recipient: c,
    errors: [{ code: 999_999, title: "Some new error" }],
  };
  for (const body of [
    statusWebhook([{ wamid: "wamid.never-sent-by-us", status: "delivered", recipient: c }]),
    statusWebhook([failed]),
    statusWebhook([failed]),
    statusWebhook([{ wamid: sent.wamid, status: "sent", recipient: c }]),
  ])
    assert.equal((await svc.post(body)).status, 200);
  const { rows } = await svc.db.query<{ n: number }>(
    "select count(*)::int as n from status_events where wamid = 'wamid.never-sent-by-us'",
  );
  assert.equal(rows[0]?.n, 1, "stored");
  // Failed after delivered is a real Meta outcome; an unknown code is recorded and not retried.
  assert.deepEqual(await outboxOf(c), [{ status: "failed", error_title: "Some new error" }]);
  assert.equal(texts(c).length, 1, "not resent");
});
