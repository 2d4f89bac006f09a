/** Outbox row states. pending/sending are ours; sent/delivered/read/played come from Meta. */
export type OutboxStatus =
  | "pending"
  | "sending"
  | "sent"
  | "delivered"
  | "read"
  | "played"
  | "failed"
  | "dead"
  /** Not sent by policy (outside the 24-hour window with no template, opted out): see dropped_reason. */
  | "dropped";

const READ_RANK = 3;
const RANK: Record<string, number> = {
  pending: 0,
  sending: 0,
  sent: 1,
  delivered: 2,
  read: READ_RANK,
  played: 4,
};

/**
 * The monotone rule for delivery statuses, which Meta sends out of order and more than once:
 * a status only moves up (sent < delivered < read < played); failed and dead are terminal; a
 * failure after the customer read the message cannot be true and is ignored. Returns the new
 * status, or undefined when the event changes nothing (duplicate, stale or unknown).
 */
export function advanceStatus(current: OutboxStatus, incoming: string): OutboxStatus | undefined {
  if (current === "failed" || current === "dead") return undefined;
  if (incoming === "failed") return (RANK[current] ?? 0) >= READ_RANK ? undefined : "failed";
  const to = RANK[incoming];
  if (to === undefined || to === 0) return undefined;
  return to > (RANK[current] ?? 0) ? toStatus(incoming) : undefined;
}

function toStatus(s: string): OutboxStatus | undefined {
  return s === "sent" || s === "delivered" || s === "read" || s === "played" ? s : undefined;
}

const CALLBACK_PREFIX = "outbox:";

/** biz_opaque_callback_data carries the outbox id, so a status can be matched even without our wamid. */
export function callbackDataFor(outboxId: number): string {
  return `${CALLBACK_PREFIX}${outboxId}`;
}

export function outboxIdFromCallback(data: string | undefined): number | undefined {
  if (!data?.startsWith(CALLBACK_PREFIX)) return undefined;
  const id = Number(data.slice(CALLBACK_PREFIX.length));
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}
