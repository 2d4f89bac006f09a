import type pg from "pg";
import {
  type CustomerMessage,
  customerWebhook,
  newWamid,
  type WebhookContext,
} from "../stories/customerWebhook.ts";
import { storeSandboxMedia } from "../tools/media/storedMedia.ts";
import { signBody } from "../webhook/verifySignature.ts";
import { baseMime, type MediaLimits, mimeAllowed } from "../whatsapp/fetchGraphMedia.ts";
import type { SimulatorClock } from "./createSimulatorClock.ts";

/** The business number the simulator's customers write to (routing.yaml's default answers it). */
export const SIMULATOR_PHONE_NUMBER_ID = "100000000000001";
const DISPLAY_NUMBER = "5511900000000";

export type SimulatorOptions = {
  pool: pg.Pool;
  appSecret: string;
  /** The service's own webhook URL: the simulator is a customer on Meta's side of it. */
  webhookUrl: () => string;
  /**
   * The simulator's own conversation clock; absent when the conversation clock is real time (a
   * real WhatsApp number, or separate web and worker processes): then it cannot be moved.
   */
  clock: SimulatorClock | undefined;
  now: () => Date;
  /** The same limits the media download applies (MEDIA_MAX_BYTES, the types the bot reads). */
  limits: MediaLimits;
  /** Fires the follow-ups due on the (moved) conversation clock. */
  fireFollowUps: () => Promise<number>;
};

export type SimulatorResult =
  | { kind: "sent"; wamid: string; conversationId: number | null }
  | { kind: "too_big"; error: string }
  | { kind: "type_not_accepted"; error: string }
  | { kind: "webhook_failed"; error: string };

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * A customer in the browser: every message becomes a Meta-shaped webhook, signed with the app
 * secret and posted to /webhook, so it takes exactly the path a real WhatsApp message takes.
 */
export function createSimulator(options: SimulatorOptions) {
  const post = async (ctx: WebhookContext, message: CustomerMessage): Promise<SimulatorResult> => {
    const wamid = newWamid();
    const body = JSON.stringify(customerWebhook(ctx, [{ message, at: options.now(), wamid }]));
    const res = await fetch(`${options.webhookUrl()}/webhook`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hub-signature-256": signBody(body, options.appSecret),
      },
      body,
    });
    if (res.status !== 200) return { kind: "webhook_failed", error: `the webhook answered ${res.status}` };
    const { rows } = await options.pool.query<{ id: number }>(
      "select conversation_id as id from inbound_messages where wa_message_id = $1",
      [wamid],
    );
    return { kind: "sent", wamid, conversationId: rows[0] ? Number(rows[0].id) : null };
  };
  const context = (waId: string, name: string): WebhookContext => ({
    phoneNumberId: SIMULATOR_PHONE_NUMBER_ID,
    displayPhoneNumber: DISPLAY_NUMBER,
    waId,
    name,
  });
  return {
    info: () => ({
      phoneNumberId: SIMULATOR_PHONE_NUMBER_ID,
      now: options.now(),
      offsetMs: options.clock?.offsetMs() ?? 0,
      clockMovable: options.clock !== undefined,
      limits: { maxBytes: options.limits.maxBytes, mimeTypes: options.limits.allowedMimes },
    }),
    send: (waId: string, name: string, message: CustomerMessage) => post(context(waId, name), message),
    async sendFile(
      waId: string,
      name: string,
      file: { bytes: Buffer; mimeType: string; filename: string; caption?: string | undefined },
    ): Promise<SimulatorResult> {
      const mime = baseMime(file.mimeType);
      if (!mimeAllowed(mime, options.limits.allowedMimes))
        return {
          kind: "type_not_accepted",
          error: `This type is not accepted (${mime || "unknown"}): send a photo (JPEG, PNG, WebP), a PDF or a voice note`,
        };
      if (file.bytes.length > options.limits.maxBytes)
        return {
          kind: "too_big",
          error: `The file is too large (${mb(file.bytes.length)}): the limit is ${mb(options.limits.maxBytes)}`,
        };
      const mediaId = await storeSandboxMedia(options.pool, file);
      const type = mime.startsWith("image/") ? "image" : mime.startsWith("audio/") ? "audio" : "document";
      return post(context(waId, name), {
        type,
        mediaId,
        mimeType: file.mimeType,
        bytes: file.bytes,
        filename: file.filename,
        ...(file.caption ? { caption: file.caption } : {}),
      });
    },
    async advanceClock(ms: number) {
      if (!options.clock) return undefined;
      options.clock.advance(ms);
      const followUps = await options.fireFollowUps();
      return { now: options.clock.now(), offsetMs: options.clock.offsetMs(), followUps };
    },
  };
}
export type Simulator = ReturnType<typeof createSimulator>;
