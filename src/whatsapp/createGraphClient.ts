import { z } from "zod";
import type { TemplateFact } from "../templates/templateEvents.ts";
import { GRAPH_API_VERSION } from "./constants.ts";
import {
  failedBeforeSending,
  GraphApiError,
  GraphNetworkError,
  graphErrorBodySchema,
} from "./graphErrors.ts";
import { toGraphMessage } from "./outboundMessage.ts";
import type { WhatsAppTransport } from "./transport.ts";

const sendResponseSchema = z.looseObject({
  messaging_product: z.literal("whatsapp").optional(),
  contacts: z.array(z.looseObject({ input: z.string().optional(), wa_id: z.string().optional() })).optional(),
  messages: z.array(z.looseObject({ id: z.string().min(1), message_status: z.string().optional() })).min(1),
});
const successSchema = z.looseObject({ success: z.boolean() });
const templateListSchema = z.looseObject({
  data: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      language: z.string(),
      status: z.string(),
      category: z.string().optional(),
      quality_score: z.looseObject({ score: z.string().optional() }).optional(),
    }),
  ),
  paging: z.looseObject({ next: z.url().optional() }).optional(),
});

export type GraphClientOptions = {
  baseUrl: string;
  accessToken: string;
  timeoutMs: number;
  fetch?: typeof fetch;
};

/** Thin typed client over fetch for the Cloud API calls the spine needs; responses parsed with zod. */
export function createGraphClient(options: GraphClientOptions): WhatsAppTransport {
  const doFetch = options.fetch ?? fetch;
  const base = `${options.baseUrl.replace(/\/+$/, "")}/${GRAPH_API_VERSION}`;

  const post = (path: string, body: unknown) => call(`${base}/${path}`, "POST", body);

  async function call(url: string, method: "GET" | "POST", body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers: {
          authorization: `Bearer ${options.accessToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new GraphNetworkError(`Graph API unreachable: ${reason}`, !failedBeforeSending(err), {
        cause: err,
      });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw new GraphNetworkError("Graph API response interrupted", true, { cause: err });
    }
    const json = parseJson(text);
    if (!response.ok) {
      const parsed = graphErrorBodySchema.safeParse(json);
      if (parsed.success) {
        const e = parsed.data.error;
        throw new GraphApiError(response.status, e.code, e.message, e.error_data?.details, e.fbtrace_id);
      }
      throw new GraphApiError(response.status, undefined, `HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
    return json;
  }

  return {
    name: "graph",
    async sendMessage({ phoneNumberId, recipient, message, callbackData }) {
      const json = await post(`${phoneNumberId}/messages`, toGraphMessage(recipient, message, callbackData));
      const parsed = sendResponseSchema.safeParse(json);
      if (!parsed.success) {
        // Meta accepted (2xx) but the body is not what we know: treat as unconfirmed, never as "not sent".
        throw new GraphApiError(200, undefined, "unexpected send response from Graph API");
      }
      const first = parsed.data.messages[0];
      if (!first) throw new GraphApiError(200, undefined, "send response without message id");
      return { wamid: first.id };
    },
    async listTemplates(wabaId) {
      const found: TemplateFact[] = [];
      // Cursor paging: follow `paging.next` until there is none (bounded, in case of a loop).
      let next: string | undefined =
        `${base}/${wabaId}/message_templates?fields=id,name,language,status,category,quality_score&limit=100`;
      for (let page = 0; next && page < 50; page++) {
        const parsed = templateListSchema.parse(await call(next, "GET"));
        for (const t of parsed.data) {
          found.push({
            name: t.name,
            language: t.language,
            templateId: t.id,
            status: t.status,
            ...(t.category ? { category: t.category } : {}),
            ...(t.quality_score?.score ? { quality: t.quality_score.score } : {}),
          });
        }
        next = parsed.paging?.next;
      }
      return found;
    },
    async markRead({ phoneNumberId, wamid, typing }) {
      const json = await post(`${phoneNumberId}/messages`, {
        messaging_product: "whatsapp",
        status: "read",
        message_id: wamid,
        ...(typing ? { typing_indicator: { type: "text" } } : {}),
      });
      successSchema.parse(json);
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
