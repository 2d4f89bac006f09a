import type { OutboundMessage } from "../whatsapp/outboundMessage.ts";

/** Meta's customer service window: free-form messages only within 24 h of the customer's last message. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;

export type PolicyInput = {
  message: OutboundMessage;
  /** A reminder or broadcast, not a reply to the customer. */
  proactive: boolean;
  /** The template that replaces a free-form message outside the window, if the agent named one. */
  fallback: OutboundMessage | undefined;
  lastInboundAt: Date | null;
  optedOut: boolean;
  /** The conversation clock. */
  now: Date;
};

export type PolicyDecision =
  | { kind: "send"; message: OutboundMessage; converted: boolean }
  | { kind: "drop"; reason: string };

/**
 * What may go out, decided purely at send time: nothing proactive to a contact who opted out;
 * outside the 24-hour window only templates — a free-form message becomes the agent's fallback
 * template, or is dropped with its reason.
 */
export function decideSendPolicy(input: PolicyInput): PolicyDecision {
  if (input.proactive && input.optedOut)
    return { kind: "drop", reason: "contact opted out; proactive message not sent" };
  if (input.message.type === "template") return { kind: "send", message: input.message, converted: false };
  if (serviceWindow(input.lastInboundAt, input.now).open)
    return { kind: "send", message: input.message, converted: false };
  if (input.fallback?.type === "template") {
    if (input.optedOut)
      return { kind: "drop", reason: "outside the 24-hour window and the contact opted out" };
    return { kind: "send", message: input.fallback, converted: true };
  }
  return { kind: "drop", reason: "outside the 24-hour window and no template for this message" };
}

/** The customer service window on the conversation clock: open, and until when. */
export function serviceWindow(
  lastInboundAt: Date | null,
  now: Date,
): { open: boolean; closesAt: Date | null } {
  const closesAt = lastInboundAt ? new Date(lastInboundAt.getTime() + WINDOW_MS) : null;
  return { open: closesAt !== null && closesAt > now, closesAt };
}
