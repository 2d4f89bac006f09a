/**
 * Sends one customer message to the running service as Meta would (signed webhook) and prints the
 * bot's reply from the sandbox. Usage: npm run send -- "Oi" [--from 5511999990001]
 */
import { z } from "zod";
import { loadConfig } from "../src/config/loadConfig.ts";
import { withLocalSecrets } from "../src/config/withLocalSecrets.ts";
import { signBody } from "../src/webhook/verifySignature.ts";
import { textWebhook } from "../test/helpers/webhookPayloads.ts";

const args = process.argv.slice(2);
const fromIndex = args.indexOf("--from");
const from = fromIndex >= 0 ? (args[fromIndex + 1] ?? "") : "5511999990001";
const text = args.filter((_, i) => i !== fromIndex && i !== fromIndex + 1).join(" ") || "Oi";
const config = withLocalSecrets(loadConfig(process.env));
const base = `http://127.0.0.1:${config.PORT}`;
const headers = { authorization: `Bearer ${config.ADMIN_TOKEN}` };
const sandboxSchema = z.object({
  messages: z.array(
    z.object({
      id: z.number(),
      body: z.looseObject({ type: z.string().optional(), text: z.object({ body: z.string() }).optional() }),
    }),
  ),
});

async function lastSandboxId(): Promise<number> {
  const res = await fetch(`${base}/sandbox/messages?recipient=${from}`, { headers });
  if (!res.ok)
    throw new Error(`GET /sandbox/messages: HTTP ${res.status} (is the service running in sandbox mode?)`);
  return sandboxSchema.parse(await res.json()).messages.at(-1)?.id ?? 0;
}

const after = await lastSandboxId().catch((err: unknown) => {
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
  const res = await fetch(`${base}/sandbox/messages?recipient=${from}&after=${after}`, { headers });
  const { messages } = (await res.json()) as {
    messages: { body: { type?: string; text?: { body: string } } }[];
  };
  const replies = messages.filter((m) => m.body.type);
  if (replies.length > 0) {
    for (const r of replies) console.log(`← bot: ${r.body.text?.body ?? JSON.stringify(r.body)}`);
    process.exit(0);
  }
  await new Promise((r) => setTimeout(r, 250));
}
console.error("No reply within 20 s");
process.exit(1);
