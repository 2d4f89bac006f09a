import type { Logger } from "pino";
import type { WhatsAppTransport } from "./transport.ts";

/**
 * Marks a customer's message read with the typing indicator, waiting at most `waitMs` for the
 * Graph API: best effort, the caller's work (a turn, reading a file) must not depend on it. A slow
 * call finishes on its own; failures are logged, never thrown.
 */
export async function markReadBriefly(
  transport: Pick<WhatsAppTransport, "markRead">,
  input: { phoneNumberId: string; wamid: string },
  log: Logger,
  waitMs: number,
): Promise<void> {
  const receipt = transport.markRead({ ...input, typing: true });
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<"slow">((resolve) => {
    timer = setTimeout(() => resolve("slow"), waitMs);
  });
  try {
    if ((await Promise.race([receipt, slow])) === "slow") {
      receipt.catch((err: unknown) => log.warn({ err: String(err) }, "mark-as-read failed"));
      log.warn({ waitedMs: waitMs }, "mark-as-read slow; going on");
    }
  } catch (err) {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, "mark-as-read failed");
  } finally {
    clearTimeout(timer);
  }
}
