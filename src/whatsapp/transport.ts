import type { TemplateFact } from "../templates/templateEvents.ts";
import type { OutboundMessage } from "./outboundMessage.ts";

/** The one interface both the Graph API client and the sandbox implement. */
export type WhatsAppTransport = {
  readonly name: "graph" | "sandbox";
  /** Sends one message; resolves with Meta's message id, or throws GraphApiError / GraphNetworkError. */
  sendMessage(input: {
    phoneNumberId: string;
    recipient: string;
    message: OutboundMessage;
    callbackData: string;
  }): Promise<{ wamid: string }>;
  /** Marks an inbound message read and, optionally, shows the typing indicator (up to 25 s). */
  markRead(input: { phoneNumberId: string; wamid: string; typing: boolean }): Promise<void>;
  /** The WhatsApp Business Account's templates and their approval (Graph only; the sandbox has no Meta). */
  listTemplates?(wabaId: string): Promise<TemplateFact[]>;
};
