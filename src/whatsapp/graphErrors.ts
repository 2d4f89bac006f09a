import { z } from "zod";

export const graphErrorBodySchema = z.object({
  error: z.looseObject({
    message: z.string().default(""),
    type: z.string().optional(),
    code: z.number().int(),
    error_subcode: z.number().int().optional(),
    error_user_title: z.string().optional(),
    error_data: z.looseObject({ details: z.string().optional() }).optional(),
    fbtrace_id: z.string().optional(),
  }),
});

/** Meta answered with an error (synchronously). `code` is Meta's, `httpStatus` the HTTP status. */
export class GraphApiError extends Error {
  readonly httpStatus: number;
  readonly code: number | undefined;
  readonly details: string | undefined;
  readonly fbtraceId: string | undefined;
  constructor(
    httpStatus: number,
    code: number | undefined,
    message: string,
    details?: string,
    fbtraceId?: string,
  ) {
    super(message);
    this.name = "GraphApiError";
    this.httpStatus = httpStatus;
    this.code = code;
    this.details = details;
    this.fbtraceId = fbtraceId;
  }
}

/**
 * No usable answer from Meta. `maybeSent` is false only when the request provably never left
 * (connection refused, DNS failure); after a timeout or a reset the message may have been accepted.
 */
export class GraphNetworkError extends Error {
  readonly maybeSent: boolean;
  constructor(message: string, maybeSent: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GraphNetworkError";
    this.maybeSent = maybeSent;
  }
}

const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Whether a fetch failure happened before the request could have reached the server. */
export function failedBeforeSending(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = "code" in e ? e.code : undefined;
    if (typeof code === "string" && NOT_SENT_CODES.has(code)) return true;
    e = e.cause;
  }
  return false;
}

/**
 * retry: not sent, try again with backoff. pair_limit: Meta's per-customer limit (131056), back off
 * 4^n s. permanent: record and stop. unconfirmed: may have been sent, so wait for a status callback
 * before deciding to send again.
 */
export type SendFailure = "retry" | "pair_limit" | "permanent" | "unconfirmed";

const PERMANENT = new Set([
  131026, 131047, 131048, 131049, 131050, 131051, 130472, 131008, 131009, 131021, 131030, 131031, 131042,
  131045, 368, 100, 3, 10,
]);
// 0/190 (token expired) retry: once ops refresh the token, queued replies still go out.
const RETRY = new Set([0, 190, 1, 2, 4, 80007, 130429, 131000, 131016, 131057, 135000, 131052, 131053]);

/**
 * Decides what a failed send means: retry with backoff (network, 5xx, 429, throughput), back off
 * per Meta's pair-rate advice (131056), or record and stop (template errors 132xxx, undeliverable,
 * outside the 24-hour window, bad parameters, auth).
 */
export function classifySendFailure(err: unknown): SendFailure {
  if (err instanceof GraphNetworkError) return err.maybeSent ? "unconfirmed" : "retry";
  if (!(err instanceof GraphApiError)) return "retry";
  const { code, httpStatus } = err;
  if (httpStatus >= 200 && httpStatus < 300) return "unconfirmed";
  const byCode = classifyErrorCode(code);
  if (byCode) return byCode;
  if (httpStatus === 429) return "retry";
  // A 5xx page with no Meta error in it (a proxy's 502, an HTML 500) says nothing about whether
  // Meta took the message: resending at once is how a customer gets the same reply twice.
  if (httpStatus >= 500) return code === undefined ? "unconfirmed" : "retry";
  return "permanent";
}

/**
 * What one of Meta's error codes means for the message, wherever it arrives (a send call's answer
 * or a `failed` status webhook); undefined for a code the table does not know.
 */
export function classifyErrorCode(code: number | undefined): SendFailure | undefined {
  if (code === undefined) return undefined;
  if (code === 131056) return "pair_limit";
  if (RETRY.has(code)) return "retry";
  if (PERMANENT.has(code) || (code >= 132000 && code < 133000)) return "permanent";
  if (code >= 200 && code < 300) return "permanent";
  return undefined;
}
