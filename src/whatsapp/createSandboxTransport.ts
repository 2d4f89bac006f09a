import { randomBytes } from "node:crypto";
import type pg from "pg";
import type { Logger } from "pino";
import { toGraphMessage } from "./outboundMessage.ts";
import type { WhatsAppTransport } from "./transport.ts";

export type SandboxOptions = {
  pool: pg.Pool;
  logger: Logger;
  /** Delivers a webhook body through the same parse-and-store path Meta's webhooks take. */
  ingest: (webhookBody: unknown) => Promise<void>;
  /** Delay before the simulated delivered / read statuses. */
  deliveredAfterMs?: number;
  readAfterMs?: number;
};

/**
 * Stands in for the Cloud API when no access token is configured: builds the exact Graph request,
 * stores it (visible at GET /sandbox/messages), answers with a realistic wamid, and reports
 * sent → delivered → read through status webhooks carrying our callback data, as Meta does.
 */
export function createSandboxTransport(options: SandboxOptions): WhatsAppTransport {
  const { pool, logger } = options;
  const later = (ms: number, body: unknown) => {
    const timer = setTimeout(() => {
      options
        .ingest(body)
        .catch((err: unknown) => logger.warn({ err: String(err) }, "sandbox status not stored"));
    }, ms);
    timer.unref();
  };
  return {
    name: "sandbox",
    async sendMessage({ phoneNumberId, recipient, message, callbackData }) {
      const body = toGraphMessage(recipient, message, callbackData);
      const wamid = makeWamid(recipient);
      await pool.query(
        "insert into sandbox_messages (wamid, phone_number_id, recipient, body) values ($1, $2, $3, $4)",
        [wamid, phoneNumberId, recipient, JSON.stringify(body)],
      );
      const status = (s: string) => statusWebhook(phoneNumberId, recipient, wamid, s, callbackData);
      later(0, status("sent"));
      later(options.deliveredAfterMs ?? 300, status("delivered"));
      later(options.readAfterMs ?? 1500, status("read"));
      return { wamid };
    },
    async markRead({ phoneNumberId, wamid, typing }) {
      await pool.query(
        "insert into sandbox_messages (wamid, phone_number_id, recipient, body) values ($1, $2, $3, $4)",
        [
          `read.${wamid}.${randomBytes(3).toString("hex")}`,
          phoneNumberId,
          "",
          JSON.stringify({
            status: "read",
            message_id: wamid,
            ...(typing ? { typing_indicator: { type: "text" } } : {}),
          }),
        ],
      );
    },
  };
}

/** Meta's wamids are base64 of a protobuf-ish blob holding the recipient; this looks the part. */
export function makeWamid(recipient: string): string {
  const inner = Buffer.concat([
    Buffer.from([0x18, recipient.length]),
    Buffer.from(recipient),
    Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, 0x12]),
    Buffer.from(randomBytes(9).toString("hex").toUpperCase()),
    Buffer.from([0x00]),
  ]);
  return `wamid.HBg${inner.toString("base64")}`;
}

function statusWebhook(
  phoneNumberId: string,
  recipient: string,
  wamid: string,
  status: string,
  callback: string,
) {
  const waId = recipient.replace(/^\+/, "");
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "sandbox-waba",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550000000", phone_number_id: phoneNumberId },
              statuses: [
                {
                  id: wamid,
                  status,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  recipient_id: waId,
                  biz_opaque_callback_data: callback,
                  ...(status === "sent"
                    ? {
                        pricing: {
                          billable: false,
                          pricing_model: "PMP",
                          category: "service",
                          type: "free_customer_service",
                        },
                      }
                    : {}),
                },
              ],
            },
          },
        ],
      },
    ],
  };
}
