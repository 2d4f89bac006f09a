import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { metaErrors } from "../helpers/fakeGraphApi.ts";
import {
  startServiceWithGraph,
  type TestService,
  textsSentTo,
  waitFor,
} from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// Transient send failures are retried by time (SEND_RETRY_FOR_MS), not by a count of attempts:
// with the test's fast backoff (50 ms doubling to 400 ms), eight attempts are spent in about two
// seconds, and a Graph API down for four seconds used to cost the reply.
async function start(env: Record<string, string>) {
  return startServiceWithGraph({ DEFAULT_AGENT: "echo", TURN_DEBOUNCE_MS: "50", ...env });
}

async function statusOf(svc: TestService, customer: string): Promise<string | undefined> {
  const { rows } = await svc.db.query<{ status: string }>(
    "select o.status from outbox o join conversations c on c.id = o.conversation_id where c.customer_wa_id = $1",
    [customer],
  );
  return rows[0]?.status;
}

let stops: (() => Promise<void>)[] = [];
before(() => {
  stops = [];
});
after(async () => {
  for (const stop of stops) await stop();
});

test("a reply outlives a Graph API outage far longer than eight attempts last", async () => {
  const { svc, graph, stop } = await start({});
  stops.push(stop);
  const outageEnds = Date.now() + 4000;
  let refused = 0;
  graph.setResponder(() => {
    if (Date.now() >= outageEnds) return undefined;
    refused++;
    return metaErrors.internalError();
  });
  const c = "5531988880001";
  await svc.post(textWebhook({ from: c, text: "ainda aí?" }));
  await waitFor(
    "the reply after the outage",
    async () => (textsSentTo(graph, c).length > 0 ? true : undefined),
    20_000,
  );
  assert.ok(refused > 8, `more than eight attempts were refused (${refused})`);
  assert.equal(textsSentTo(graph, c).length, 1);
});

test("after SEND_RETRY_FOR_MS of failures the reply is given up", async () => {
  const { svc, graph, stop } = await start({ SEND_RETRY_FOR_MS: "1000" });
  stops.push(stop);
  graph.setResponder(() => metaErrors.internalError());
  const c = "5531988880002";
  await svc.post(textWebhook({ from: c, text: "oi" }));
  await waitFor(
    "the reply given up",
    async () => ((await statusOf(svc, c)) === "dead" ? true : undefined),
    20_000,
  );
  assert.equal(textsSentTo(graph, c).length, 0);
});
