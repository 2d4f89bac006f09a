import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { startTestService, type TestService, waitFor } from "../helpers/startTestService.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

// Plans from an HTTP plans service (PLANS_API_URL) in the quote, and the agent's own plans when the
// service fails. The service is a fake on 127.0.0.1; WhatsApp is the sandbox.
let mode: "ok" | "down" = "ok";
let calls = 0;
const plansServer = createServer((_req, res) => {
  calls++;
  if (mode === "down") {
    res.writeHead(503, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: "maintenance" }));
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(
    JSON.stringify({
      plans: [
        { distributor: "CEMIG", discounts: { residential: 0.25, commercial: 0.27 }, loyalty_months: 6 },
      ],
    }),
  );
});
let svc: TestService;
before(async () => {
  await new Promise<void>((resolve) => plansServer.listen(0, "127.0.0.1", resolve));
  const { port } = plansServer.address() as AddressInfo;
  svc = await startTestService({
    DEFAULT_AGENT: "lead_qualification",
    PLANS_API_URL: `http://127.0.0.1:${port}/plans`,
    PLANS_API_TIMEOUT_MS: "500",
    PLANS_CACHE_MS: "0",
    TURN_DEBOUNCE_MS: "50",
  });
});
after(async () => {
  await svc.stop();
  await new Promise<void>((resolve) => plansServer.close(() => resolve()));
});

async function quoteFor(customer: string): Promise<string> {
  for (const text of ["Oi", "Lúcia", "BH", "R$ 500"]) {
    await svc.post(textWebhook({ from: customer, text }));
    await new Promise((r) => setTimeout(r, 200));
  }
  await svc.post(textWebhook({ from: customer, text: "casa" }));
  return waitFor("the quote", async () => {
    const { rows } = await svc.db.query<{ text: string }>(
      "select body->'text'->>'body' as text from sandbox_messages where (recipient = $1 or recipient = '+' || $1) and body->'text'->>'body' like '%desconto%'",
      [customer],
    );
    return rows[0]?.text;
  });
}

test("the quote uses the plans service; when it fails, the plans in agents/ (operator data)", async () => {
  const live = await quoteFor("5531955550001");
  assert.match(live, /25% de desconto \(fidelidade de 6 meses\): economia estimada de R\$ 125 por mês/);
  mode = "down";
  const before = calls;
  const fallback = await quoteFor("5531955550002");
  assert.match(fallback, /20% de desconto \(sem fidelidade\): economia estimada de R\$ 100 por mês/);
  assert.ok(calls - before >= 2, "each failed fetch was retried once");
});
