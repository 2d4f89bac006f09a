/**
 * Sends one customer message to the running service as Meta would (signed webhook) and prints the
 * bot's replies from the sandbox as they read on the phone.
 * Usage: npm run send -- "Oi" [--from 5511999990001]   (words without quotes are joined)
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { loadConfig } from "../src/config/loadConfig.ts";
import { withLocalSecrets } from "../src/config/withLocalSecrets.ts";
import { signBody } from "../src/webhook/verifySignature.ts";
import { textWebhook } from "../test/helpers/webhookPayloads.ts";
import { describeReply } from "./describeReply.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: "string", default: "5511999990001" } },
});
const from = values.from;
const text = positionals.join(" ") || "Oi";
const config = withLocalSecrets(loadConfig(process.env));
const base = `http://127.0.0.1:${config.PORT}`;
const headers = { authorization: `Bearer ${config.ADMIN_TOKEN}` };
const sandboxSchema = z.object({
  messages: z.array(z.object({ id: z.number(), body: z.looseObject({ type: z.string().optional() }) })),
});

async function sandboxMessages(after = 0) {
  const res = await fetch(`${base}/sandbox/messages?recipient=${from}&after=${after}`, { headers });
  if (!res.ok)
    throw new Error(`GET /sandbox/messages: HTTP ${res.status} (is the service running in sandbox mode?)`);
  return sandboxSchema.parse(await res.json()).messages;
}

const after = await sandboxMessages()
  .then((m) => m.at(-1)?.id ?? 0)
  .catch((err: unknown) => {
    console.error(`Cannot reach the service at ${base}: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
const body = JSON.stringify(textWebhook({ from, text }));
const post = await fetch(`${base}/webhook`, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    "x-hub-signature-256": signBody(body, config.WHATSAPP_APP_SECRET ?? ""),
  },
  body,
});
console.log(`→ ${from}: ${text}   (webhook answered ${post.status})`);
const deadline = Date.now() + 20_000;
while (Date.now() < deadline) {
  const replies = (await sandboxMessages(after)).filter((m) => m.body.type);
  if (replies.length > 0) {
    for (const r of replies) console.log(`← bot: ${describeReply(r.body).replace(/\n/g, "\n        ")}`);
    process.exit(0);
  }
  await new Promise((r) => setTimeout(r, 250));
}
console.error("No reply within 20 s");
process.exit(1);
