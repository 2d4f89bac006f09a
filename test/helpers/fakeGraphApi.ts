/**
 * A fake of Meta's WhatsApp Cloud API (Graph API) for tests: a real HTTP server on 127.0.0.1 that the
 * real client code talks to. It answers `POST /{version}/{phone-number-id}/messages` only, and checks
 * every request body against Meta's official OpenAPI spec (v23.0, ../shared/fixtures/meta-openapi),
 * so a test that ends with `assert.deepEqual(fake.invalid(), [])` proves the client sent nothing Meta
 * would reject as malformed.
 *
 * Spec corrections (see `prepareSpec`). The fake may be stricter than Meta where the client can always
 * comply (it must then send what the spec asks for), but it must never reject a request Meta accepts
 * that no spec-compliant body could express, and it must never be looser than the spec meant to be.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { parse as parseYaml } from "yaml";
import { statusWebhook } from "./webhookPayloads.ts";

export type RecordedRequest = {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  validationErrors: string[];
};

/** The status webhooks that follow one accepted send: in order, after `delayMs`; [] for none. */
export type StatusScript = {
  delayMs?: number;
  statuses: ({ status: "sent" | "delivered" | "read" } | { status: "failed"; code: number; title: string })[];
};

export type FakeResponse = {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /**
   * Meta took the message (it is recorded in `sent` and its status webhooks follow) but the answer
   * the client gets is this error: a proxy's 502 page after the request went through.
   */
  acceptedAnyway?: boolean;
  /** Instead of answering, reset the connection (after the delay): the client sees ECONNRESET. */
  reset?: boolean;
};

export type FakeGraphApi = {
  /** e.g. http://127.0.0.1:43123 (no trailing slash, no version). */
  baseUrl: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /**
   * Accepted message sends (POST /{version}/{phone-number-id}/messages with a message body, answered 200),
   * with the wamid returned. Recorded when the fake accepts the message, before any delay, so a client
   * that times out still finds its message here (Meta accepted it; only the answer was lost).
   */
  sent: { phoneNumberId: string; body: Record<string, unknown>; wamid: string; at: number }[];
  /** Read receipts / typing indicators received (POST .../messages with status:"read"). */
  reads: { phoneNumberId: string; body: Record<string, unknown> }[];
  /** Requests that failed validation against Meta's OpenAPI spec (tests assert this stays empty). */
  invalid(): RecordedRequest[];
  /** Script the next responses to message sends (consumed in order, one per send attempt); when empty, sends succeed. */
  enqueue(...responses: FakeResponse[]): void;
  /** Make every request to the messages endpoint (sends and read receipts) hang this long before answering. */
  setDelay(ms: number): void;
  /** The account's templates as `GET /{WABA-ID}/message_templates` lists them (paged like Meta). */
  templates: Record<string, unknown>[];
  /**
   * Decide the outcome of each valid send (after validation, before `enqueue`d responses):
   * return a FakeResponse to answer with it, or undefined for the normal behaviour.
   */
  setResponder(responder: ((body: Record<string, unknown>) => FakeResponse | undefined) | undefined): void;
  /**
   * Like Meta: for every accepted send, POST signed status webhooks (sent, then delivered) carrying
   * the request's biz_opaque_callback_data to `url`, re-delivering until answered 200.
   */
  sendStatusWebhooks(target: { url: string; appSecret: string; phoneNumberId?: string } | undefined): void;
  /**
   * Decide, per accepted send, which status webhooks follow and when (default: sent then delivered,
   * at once). Meta reports many failures this way, minutes after accepting the message
   * (131047 outside the window, 131026 undeliverable), posts statuses late, or never.
   */
  setStatusScript(script: ((body: Record<string, unknown>) => StatusScript | undefined) | undefined): void;
  /**
   * Customer media the fake serves like Meta: `GET /{version}/{media-id}` answers the lookup (a
   * lookaside-style URL valid for the download, mime type, sha256, file size as a string) and the
   * URL serves the bytes to a request with the bearer token. `declaredSize` overrides the size the
   * lookup reports (to test refusals before download).
   */
  addMedia(id: string, bytes: Buffer, mimeType: string, options?: { declaredSize?: number }): void;
  /** Script the next answers to media lookups (consumed in order); when empty, lookups succeed. */
  enqueueMedia(...responses: FakeResponse[]): void;
  /** Media downloads served (path and whether the bearer token came with them). */
  mediaDownloads: { id: string; authorized: boolean; userAgent: string | undefined }[];
  reset(): void;
  close(): Promise<void>;
};

// ---------------------------------------------------------------------------------------------------
// Meta error bodies
// ---------------------------------------------------------------------------------------------------

/** Looks like Meta's trace ids, e.g. "AXsgnV2Cm3ZMGF3dF_cfYIn" (OAS examples). */
function fbtraceId(): string {
  return `A${randomBytes(16).toString("base64url").slice(0, 22)}`;
}

function graphError(
  status: number,
  code: number,
  message: string,
  details: string | undefined,
  extra: Record<string, unknown> = {},
): FakeResponse {
  return {
    status,
    body: {
      error: {
        message,
        type: "OAuthException",
        code,
        ...extra,
        ...(details === undefined ? {} : { error_data: { messaging_product: "whatsapp", details } }),
        fbtrace_id: fbtraceId(),
      },
    },
  };
}

/**
 * Ready-made failures with Meta's error bodies and HTTP statuses.
 *
 * Titles and details follow Meta's error-code page (developers.facebook.com/documentation/business-messaging/
 * whatsapp/support/error-codes, summarized in ../shared/docs/whatsapp-cloud-api.md §4.9). HTTP statuses
 * come from that page's "HTTP Status Code" column: the throttling codes 4, 80007, 130429, 131048 and 131056
 * are all "400 Bad Request" (not 429); 190 is 401; 131000 is 500; 131016 is 503; 132001 is 404; the other
 * message errors are 400. Meta says to branch on `code`, never on the HTTP status, and an older copy of the
 * page listed code 4 as 429, so `http429()` covers a plain 429 too.
 */
export const metaErrors = {
  /** 130429: the phone number's throughput (80 mps by default) was exceeded. Retry with backoff. */
  rateLimitThroughput: (): FakeResponse =>
    graphError(400, 130429, "(#130429) Rate limit hit", "Cloud API message throughput has been reached."),
  /** 131056: too many messages to the same user in a short time (≈1 per 6 s). Retry after 4^X s. */
  pairRateLimit: (): FakeResponse =>
    graphError(
      400,
      131056,
      "(#131056) (Business Account, Consumer Account) pair rate limit hit",
      "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
    ),
  /** 131048: quality-based restriction (messages blocked or flagged as spam). */
  spamRateLimit: (): FakeResponse =>
    graphError(
      400,
      131048,
      "(#131048) Spam rate limit hit",
      "Message failed to send because there are restrictions on how many messages can be sent from this phone number. This may be because too many previous messages were blocked or flagged as spam.",
    ),
  /** 131026: not a WhatsApp user, old app, or terms not accepted. Do not retry. */
  undeliverable: (): FakeResponse =>
    graphError(
      400,
      131026,
      "(#131026) Message undeliverable",
      "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted our new Terms of Service and Privacy Policy; the recipient is using an old WhatsApp version.",
    ),
  /** 131047: more than 24 h since the user's last message; only templates may be sent. */
  reEngagement: (): FakeResponse =>
    graphError(
      400,
      131047,
      "(#131047) Re-engagement message",
      "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
    ),
  /** 132001: the template does not exist in that language, or is not approved. HTTP 404 per Meta's table. */
  templateNotFound: (name = "order_update", language = "pt_BR"): FakeResponse =>
    graphError(
      404,
      132001,
      "(#132001) Template name does not exist in the translation",
      `template name (${name}) does not exist in ${language}`,
    ),
  /** 132000: the number of parameters sent differs from the template's placeholders. */
  templateParamMismatch: (
    details = "body: number of localizable_params (1) does not match the expected number of params (2)",
  ): FakeResponse =>
    graphError(
      400,
      132000,
      "(#132000) Number of parameters does not match the expected number of params",
      details,
    ),
  /** 131016: a Meta service is temporarily unavailable. Retry with backoff. */
  serviceUnavailable: (): FakeResponse =>
    graphError(
      503,
      131016,
      "(#131016) Service unavailable",
      "A service is temporarily unavailable. Please check the status page before trying again.",
    ),
  /** 131000: unknown error on Meta's side. Retry with backoff. */
  internalError: (): FakeResponse =>
    graphError(
      500,
      131000,
      "(#131000) Something went wrong",
      "Message failed to send due to an unknown error.",
    ),
  /** 100: unsupported, misspelled or invalid parameter (the fake sends this itself for invalid bodies). */
  invalidParameter: (details: string): FakeResponse =>
    graphError(400, 100, "(#100) Invalid parameter", details),
  /** 190: the access token expired (Graph subcode 463 = expired session). */
  tokenExpired: (): FakeResponse =>
    graphError(
      401,
      190,
      "Error validating access token: Session has expired on Tuesday, 01-Jul-25 10:00:00 PDT. The current time is Tuesday, 01-Jul-25 10:05:00 PDT.",
      undefined,
      { error_subcode: 463 },
    ),
  /** 190: a token that Meta cannot parse (also what the fake answers for a missing or wrong token). */
  invalidToken: (): FakeResponse =>
    graphError(401, 190, "Invalid OAuth access token - Cannot parse access token", undefined),
  /** 4: app-level Graph call rate limit, with the 400 status of Meta's current error table. */
  appRateLimit: (): FakeResponse =>
    graphError(400, 4, "(#4) Application request limit reached", "Application request limit reached", {
      is_transient: true,
    }),
  /** A proxy's 502 page: no Meta error in it, so it says nothing about whether Meta took the message. */
  http502Html: (): FakeResponse => ({
    status: 502,
    headers: { "content-type": "text/html; charset=utf-8" },
    body: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n",
  }),
  /** A gateway error page instead of JSON, as proxies in front of graph.facebook.com sometimes answer. */
  http500Html: (): FakeResponse => ({
    status: 500,
    headers: { "content-type": "text/html; charset=utf-8" },
    body: "<!DOCTYPE html>\n<html><head><title>Error</title></head><body><h1>500 Internal Server Error</h1><p>Sorry, something went wrong. We're working on getting this fixed as soon as we can.</p></body></html>\n",
  }),
  /** HTTP 429 carrying Graph's code-4 body (the status an older version of Meta's table gave code 4). */
  http429: (): FakeResponse =>
    graphError(429, 4, "(#4) Application request limit reached", "Application request limit reached", {
      is_transient: true,
    }),
};

// ---------------------------------------------------------------------------------------------------
// Meta's OpenAPI spec, corrected, compiled once per process
// ---------------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SPEC_URL = new URL(
  "../../../shared/fixtures/meta-openapi/business-messaging-api_v23.0.yaml",
  import.meta.url,
);
const SCHEMAS = "#/components/schemas/";

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function schemaAt(schemas: JsonObject, name: string): JsonObject {
  const schema = schemas[name];
  if (!isObject(schema)) throw new Error(`Meta OpenAPI spec has no schema ${name}`);
  return schema;
}

function propertiesOf(schema: JsonObject, where: string): JsonObject {
  const properties = schema.properties;
  if (!isObject(properties)) throw new Error(`Meta OpenAPI spec: ${where} has no properties`);
  return properties;
}

/** The object branch of a `allOf: [{$ref: Base}, {...}]` message schema. */
function ownBranch(schemas: JsonObject, name: string): JsonObject {
  const allOf = schemaAt(schemas, name).allOf;
  const branch = Array.isArray(allOf) ? allOf.find((b) => isObject(b) && b.$ref === undefined) : undefined;
  if (!isObject(branch)) throw new Error(`Meta OpenAPI spec: ${name} is not an allOf composition`);
  return branch;
}

/** Visits every object node once (YAML aliases may share nodes). */
function walk(node: Json, visit: (node: JsonObject, parentKey: string | undefined) => void): void {
  const seen = new WeakSet<object>();
  const go = (value: Json, parentKey: string | undefined): void => {
    if (Array.isArray(value)) {
      if (seen.has(value)) return;
      seen.add(value);
      for (const item of value) go(item, parentKey);
      return;
    }
    if (!isObject(value) || seen.has(value)) return;
    seen.add(value);
    visit(value, parentKey);
    for (const [key, child] of Object.entries(value)) go(child, key);
  };
  go(node, undefined);
}

/**
 * Turns Meta's v23.0 spec into schemas that mean what Meta documents. Every change says why.
 * Mutates and returns `doc`.
 */
function prepareSpec(doc: JsonObject): JsonObject {
  const components = doc.components;
  if (!isObject(components) || !isObject(components.schemas))
    throw new Error("Meta OpenAPI spec has no schemas");
  const schemas = components.schemas;

  // 1. `allOf: [BaseMessageProperties, {additionalProperties: false, properties: {type, text}}]` rejects every
  //    real message under JSON Schema (the base properties are "additional" to the second branch). The intent
  //    is "no properties beyond base + own", which is `unevaluatedProperties: false` on the allOf parent.
  //    TemplateMessage's branch forgot `additionalProperties: false`; every message schema gets the same rule.
  walk(schemas, (node) => {
    if (!Array.isArray(node.allOf)) return;
    let closed = false;
    for (const branch of node.allOf) {
      if (isObject(branch) && branch.additionalProperties === false) {
        delete branch.additionalProperties;
        closed = true;
      }
    }
    const isMessage = node.allOf.some((b) => isObject(b) && b.$ref === `${SCHEMAS}BaseMessageProperties`);
    if (closed || isMessage) node.unevaluatedProperties = false;
  });

  const base = schemaAt(schemas, "BaseMessageProperties");
  const baseProperties = propertiesOf(base, "BaseMessageProperties");
  // 2. Meta documents `biz_opaque_callback_data` (string, ≤ 512 chars) as an optional field of every send
  //    request (it comes back in the status webhooks), but v23's BaseMessageProperties omits it; the same
  //    spec defines it with these limits for calls (CallRequestPayload).
  baseProperties.biz_opaque_callback_data = {
    type: "string",
    maxLength: 512,
    description:
      "Arbitrary tracking string, returned in status webhooks (added by the fake; missing in v23 OAS).",
  };
  // 3. `messaging_product` must be "whatsapp" (the spec only says string, but it is the only accepted value).
  const product = baseProperties.messaging_product;
  if (isObject(product)) product.enum = ["whatsapp"];
  // 4. `recipient_type` is optional (Meta: "Default: individual"); 7 of Meta's own examples for this path,
  //    including the canonical hello_world "Send Test Message", omit it. `type` stays required: Meta
  //    defaults it to "text", but our client always states it, and the discriminator needs it.
  if (Array.isArray(base.required)) base.required = base.required.filter((r) => r !== "recipient_type");

  // 5. Text: `body` is required and at most 4096 characters (Meta's docs; this spec's own TextMessage_1, used
  //    elsewhere, says so). Without it `{"type":"text","text":{}}` would pass.
  const text = propertiesOf(ownBranch(schemas, "TextMessage"), "TextMessage").text;
  if (isObject(text)) {
    text.required = ["body"];
    const body = isObject(text.properties) ? text.properties.body : undefined;
    if (isObject(body)) body.maxLength = 4096;
  }

  // 6. Template `language.policy` is optional ("deterministic" is the only value and the default); 8 of Meta's
  //    examples, hello_world included, send only `code`.
  const language = schemaAt(schemas, "LanguageObject");
  language.required = ["code"];

  // 7. Button `index` is "Position index of the button (0-9)", but the pattern `^[2-6, 11-14]$` is a broken
  //    character class that rejects "0" (and so the first button of every template). Use what it describes.
  for (const name of ["TemplateComponent", "ButtonComponent"]) {
    walk(schemaAt(schemas, name), (node, parentKey) => {
      if (parentKey === "index" && node.pattern === "^[2-6, 11-14]$") node.pattern = "^[0-9]$";
    });
  }

  // 8. Read receipts / typing indicators share the path. The spec has MarkMessageRequestPayload (referenced by
  //    no operation) without `typing_indicator`; Meta documents `typing_indicator: {type: "text"}` (example
  //    "Send typing indicator and read receipt"). Close the object so typos are caught.
  const mark = schemaAt(schemas, "MarkMessageRequestPayload");
  const markProperties = propertiesOf(mark, "MarkMessageRequestPayload");
  markProperties.typing_indicator = {
    type: "object",
    required: ["type"],
    additionalProperties: false,
    properties: { type: { type: "string", enum: ["text"] } },
  };
  if (isObject(markProperties.status)) markProperties.status.enum = ["read"];
  if (isObject(markProperties.messaging_product)) markProperties.messaging_product.enum = ["whatsapp"];
  mark.additionalProperties = false;

  // 9. TemplateComponent, ParameterObject and ButtonParameterObject carry a `discriminator.mapping` but no
  //    `oneOf`, so under JSON Schema their subtypes (HeaderComponent, TextParameter, ...) are never applied
  //    and a `{"type":"text"}` parameter without `text` would pass. Where such a base is referenced (except
  //    as the base of a subtype's allOf), apply the mapped subtype with if/then on the discriminator value.
  const polymorphic = new Map<string, { propertyName: string; mapping: JsonObject }>();
  for (const [name, schema] of Object.entries(schemas)) {
    if (!isObject(schema) || schema.oneOf !== undefined || schema.anyOf !== undefined) continue;
    const discriminator = schema.discriminator;
    if (!isObject(discriminator) || !isObject(discriminator.mapping)) continue;
    if (typeof discriminator.propertyName !== "string") continue;
    polymorphic.set(`${SCHEMAS}${name}`, {
      propertyName: discriminator.propertyName,
      mapping: discriminator.mapping,
    });
  }
  walk(schemas, (node, parentKey) => {
    if (parentKey === "allOf" || typeof node.$ref !== "string") return;
    const target = polymorphic.get(node.$ref);
    if (target === undefined) return;
    const { $ref, ...rest } = node;
    const branches: Json[] = [{ $ref }];
    for (const [value, ref] of Object.entries(target.mapping)) {
      if (typeof ref !== "string") continue;
      branches.push({
        if: { required: [target.propertyName], properties: { [target.propertyName]: { const: value } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema keyword
        then: { $ref: ref },
      });
    }
    for (const key of Object.keys(node)) delete node[key];
    Object.assign(node, rest, { allOf: branches });
  });

  return doc;
}

type Validators = {
  message: ValidateFunction;
  byType: Map<string, ValidateFunction>;
  markRead: ValidateFunction;
  messageTypes: string[];
};

let validators: Validators | undefined;

/** Loads, corrects and compiles Meta's spec once per process (it is a 30k-line YAML). */
function getValidators(): Validators {
  if (validators !== undefined) return validators;
  const parsed: unknown = parseYaml(readFileSync(SPEC_URL, "utf8"));
  if (!isObject(parsed)) throw new Error("Meta OpenAPI spec did not parse to an object");
  const doc = prepareSpec(parsed);
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(doc, "oas");
  const message = ajv.compile({ $ref: `oas${SCHEMAS}Message` });
  // The `Message` oneOf has a discriminator; Ajv ignores it, and a failed oneOf reports the errors of all 11
  // branches. For readable errors, re-run the branch the `type` names.
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  const discriminator = schemaAt(schemas, "Message").discriminator;
  const mapping = isObject(discriminator) && isObject(discriminator.mapping) ? discriminator.mapping : {};
  const byType = new Map<string, ValidateFunction>();
  for (const [type, ref] of Object.entries(mapping)) {
    if (typeof ref === "string") byType.set(type, ajv.compile({ $ref: `oas${ref}` }));
  }
  const markRead = ajv.compile({ $ref: `oas${SCHEMAS}MarkMessageRequestPayload` });
  validators = { message, byType, markRead, messageTypes: [...byType.keys()] };
  return validators;
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath === "" ? "/" : error.instancePath;
  const params: Record<string, unknown> = error.params;
  let extra = "";
  if (typeof params.unevaluatedProperty === "string") extra = `: ${params.unevaluatedProperty}`;
  else if (typeof params.additionalProperty === "string") extra = `: ${params.additionalProperty}`;
  else if (Array.isArray(params.allowedValues)) extra = `: ${params.allowedValues.join(", ")}`;
  return `${where} ${error.message ?? error.keyword}${extra}`;
}

/**
 * Ajv's errors as "instancePath message" lines, deepest first: inside a `oneOf` (ActionObject, MediaObject)
 * Ajv also reports the branches that never applied ("must have required property 'button'" for a buttons
 * action), and the deepest error belongs to the branch that matched furthest, i.e. the real mistake.
 */
function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  const depth = (e: ErrorObject): number => (e.instancePath === "" ? 0 : e.instancePath.split("/").length);
  const relevant = (errors ?? []).filter((e) => e.keyword !== "if");
  const sorted = relevant.map((e, i) => ({ e, i })).sort((a, b) => depth(b.e) - depth(a.e) || a.i - b.i);
  return [...new Set(sorted.map(({ e }) => describeError(e)))];
}

function isReadReceipt(body: unknown): boolean {
  return isObject(body) && body.status !== undefined && body.type === undefined;
}

/**
 * Errors (empty when valid) of a body posted to `/{version}/{phone-number-id}/messages`, judged by Meta's
 * corrected spec: a read receipt / typing indicator if it has `status` and no `type`, else a message.
 */
export function validateMessagesBody(body: unknown): string[] {
  const v = getValidators();
  // Ajv's validators are type guards; calling them through `passes` keeps `body` from narrowing to never.
  const passes = (validate: ValidateFunction): boolean => validate(body);
  if (isReadReceipt(body)) return passes(v.markRead) ? [] : describeErrors(v.markRead.errors);
  if (passes(v.message)) return [];
  const type = isObject(body) ? body.type : undefined;
  const branch = typeof type === "string" ? v.byType.get(type) : undefined;
  if (branch !== undefined) {
    const errors = passes(branch) ? [] : describeErrors(branch.errors);
    if (errors.length > 0) return errors;
  }
  const head = !isObject(body)
    ? ["/ must be object"]
    : type === undefined
      ? ["/ must have required property 'type'"]
      : branch === undefined
        ? [`/type must be equal to one of the allowed values: ${v.messageTypes.join(", ")}`]
        : [];
  // Without a usable `type` the oneOf errors of all 11 branches say nothing more useful than `head`.
  return head.length > 0 ? head : describeErrors(v.message.errors);
}

// ---------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------

let wamidCounter = 0;

/**
 * A wamid shaped like Meta's outbound ids: base64 of
 * `1c 18 <len> <recipient digits> 15 02 00 11 18 12 <18 uppercase hex> 00`
 * (decoded from real ids such as wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA).
 */
function makeWamid(to: string): string {
  wamidCounter += 1;
  const recipient = Buffer.from((to.replace(/\D/g, "") || "0").slice(0, 20), "latin1");
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(wamidCounter % 2 ** 32);
  const id = Buffer.from(
    Buffer.concat([counter, randomBytes(5)])
      .toString("hex")
      .toUpperCase(),
    "latin1",
  );
  const bytes = Buffer.concat([
    Buffer.from([0x1c, 0x18, recipient.length]),
    recipient,
    Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, id.length]),
    id,
    Buffer.from([0x00]),
  ]);
  return `wamid.${bytes.toString("base64")}`;
}

/** Meta's `wa_id` for a phone `to`: digits only ("+1-631-555-5555" → "16315555555"); other ids unchanged. */
function waIdOf(to: string): string {
  return /^\+?[\d\s().-]+$/.test(to) ? to.replace(/\D/g, "") : to;
}

function unknownPath(path: string): FakeResponse {
  return {
    status: 404,
    body: {
      error: {
        message: `Unknown path components: ${path}`,
        type: "OAuthException",
        code: 2500,
        fbtrace_id: fbtraceId(),
      },
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startFakeGraphApi(
  opts: {
    accessToken?: string /** Benchmarks only: skip OpenAPI validation (CPU). */;
    validate?: boolean;
  } = {},
): Promise<FakeGraphApi> {
  const validate = opts.validate ?? true;
  if (validate) getValidators(); // compile before the first request, so no test pays for it inside a timeout

  const requests: RecordedRequest[] = [];
  const sent: FakeGraphApi["sent"] = [];
  const reads: FakeGraphApi["reads"] = [];
  const queue: FakeResponse[] = [];
  const templates: Record<string, unknown>[] = [];
  const media = new Map<string, { bytes: Buffer; mimeType: string; declaredSize?: number }>();
  const mediaQueue: FakeResponse[] = [];
  const mediaDownloads: FakeGraphApi["mediaDownloads"] = [];
  const pending = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let delayMs = 0;
  let closed = false;
  let responder: ((body: Record<string, unknown>) => FakeResponse | undefined) | undefined;
  let statusTarget: { url: string; appSecret: string; phoneNumberId?: string } | undefined;
  let statusScript: ((body: Record<string, unknown>) => StatusScript | undefined) | undefined;

  const postStatus = async (phoneNumberId: string, message: Record<string, unknown>, wamid: string) => {
    const target = statusTarget;
    if (!target) return;
    const script = statusScript?.(message) ?? { statuses: [{ status: "sent" }, { status: "delivered" }] };
    await wait(script.delayMs ?? 0);
    for (const s of script.statuses) {
      const body = JSON.stringify(
        statusWebhook(
          [
            {
              wamid,
              status: s.status,
              recipient: waIdOf(String(message.to)),
              ...(typeof message.biz_opaque_callback_data === "string"
                ? { callback: message.biz_opaque_callback_data }
                : {}),
              ...(s.status === "failed"
                ? {
                    errors: [
                      { code: s.code, title: s.title, message: s.title, error_data: { details: s.title } },
                    ],
                  }
                : {}),
            },
          ],
          target.phoneNumberId ?? phoneNumberId,
        ),
      );
      const signature = `sha256=${createHmac("sha256", target.appSecret).update(body).digest("hex")}`;
      // Meta re-delivers until it gets a 200 (for days); a test needs far less.
      for (let attempt = 0; attempt < 60 && !closed; attempt++) {
        try {
          const res = await fetch(target.url, {
            method: "POST",
            headers: { "content-type": "application/json", "x-hub-signature-256": signature },
            body,
          });
          if (res.status === 200) break;
        } catch {
          // receiver down: try again
        }
        await wait(250);
      }
    }
  };
  const accepted = (phoneNumberId: string, message: Record<string, unknown>, wamid: string) => {
    sent.push({ phoneNumberId, body: message, wamid, at: Date.now() });
    void postStatus(phoneNumberId, message, wamid).catch(() => undefined);
  };

  const wait = (ms: number): Promise<void> =>
    ms <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const entry = {
            timer: setTimeout(() => {
              pending.delete(entry);
              resolve();
            }, ms),
            resolve,
          };
          pending.add(entry);
        });

  const reply = async (res: ServerResponse, response: FakeResponse, extraDelayMs: number): Promise<void> => {
    await wait(extraDelayMs + (response.delayMs ?? 0));
    if (closed || res.destroyed) return;
    if (response.reset) {
      res.socket?.resetAndDestroy();
      return;
    }
    const isText = typeof response.body === "string";
    const payload = isText ? String(response.body) : JSON.stringify(response.body);
    const headers: Record<string, string> = {
      "content-type": isText ? "text/plain; charset=utf-8" : "application/json; charset=UTF-8",
      ...response.headers,
    };
    res.writeHead(response.status, headers);
    res.end(payload);
  };

  /** A bearer token is present, and is the expected one when the fake was given one. */
  const authorized = (req: IncomingMessage): boolean => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    return token !== undefined && (opts.accessToken === undefined || token === opts.accessToken);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const path = new URL(req.url ?? "/", "http://fake.invalid").pathname;
    let body: unknown = raw === "" ? undefined : raw;
    let isJson = false;
    try {
      body = JSON.parse(raw);
      isJson = true;
    } catch {
      // keep the raw text; judged below
    }
    const record: RecordedRequest = {
      method: req.method ?? "",
      path,
      headers: { ...req.headers },
      body,
      validationErrors: [],
    };
    requests.push(record);

    const templatesRoute = /^\/(v\d+\.\d+)\/(\d+)\/message_templates\/?$/.exec(path);
    if (req.method === "GET" && templatesRoute) {
      if (!authorized(req)) return reply(res, metaErrors.invalidToken(), 0);
      // Cursor paging like Meta's: `limit`, `after`, and `paging.next` while more remain.
      const url = new URL(req.url ?? "/", "http://fake.invalid");
      const limit = Math.max(1, Math.min(100, Number(url.searchParams.get("limit") ?? 25)));
      const start = Number(url.searchParams.get("after") ?? 0);
      const page = templates.slice(start, start + limit);
      const more = start + limit < templates.length;
      const host = `http://${req.headers.host ?? "127.0.0.1"}`;
      url.searchParams.set("after", String(start + limit));
      return reply(
        res,
        {
          status: 200,
          body: {
            data: page,
            paging: {
              cursors: { before: String(start), after: String(start + limit) },
              ...(more ? { next: `${host}${path}?${url.searchParams.toString()}` } : {}),
            },
          },
        },
        0,
      );
    }
    const download = /^\/lookaside\/whatsapp_business\/attachments\/?$/.exec(path);
    if (req.method === "GET" && download) {
      const id = new URL(req.url ?? "/", "http://fake.invalid").searchParams.get("mid") ?? "";
      const withToken = authorized(req);
      mediaDownloads.push({ id, authorized: withToken, userAgent: req.headers["user-agent"] });
      const file = media.get(id);
      // Like Meta's lookaside: without the token the file is not served.
      if (!withToken || !file) {
        res.writeHead(404, { "content-type": "text/html" });
        res.end("<html><body>Not Found</body></html>");
        return;
      }
      res.writeHead(200, { "content-type": file.mimeType, "content-length": String(file.bytes.length) });
      res.end(file.bytes);
      return;
    }
    const lookup = /^\/(v\d+\.\d+)\/(\d+)\/?$/.exec(path);
    if (req.method === "GET" && lookup?.[2]) {
      if (!authorized(req)) return reply(res, metaErrors.invalidToken(), 0);
      const scripted = mediaQueue.shift();
      if (scripted) return reply(res, scripted, 0);
      const id = lookup[2];
      const file = media.get(id);
      if (!file)
        return reply(
          res,
          graphError(
            400,
            100,
            `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
            undefined,
          ),
          0,
        );
      const host = `http://${req.headers.host ?? "127.0.0.1"}`;
      return reply(
        res,
        {
          status: 200,
          body: {
            messaging_product: "whatsapp",
            url: `${host}/lookaside/whatsapp_business/attachments/?mid=${id}&ext=${Date.now()}`,
            mime_type: file.mimeType,
            sha256: createHash("sha256").update(file.bytes).digest("hex"),
            file_size: String(file.declaredSize ?? file.bytes.length),
            id,
          },
        },
        0,
      );
    }
    const route = /^\/([^/]+)\/([^/]+)\/messages\/?$/.exec(path);
    const version = route?.[1];
    const phoneNumberId = route?.[2];
    if (req.method !== "POST" || version === undefined || phoneNumberId === undefined) {
      return reply(res, unknownPath(path), 0);
    }
    if (!/^v\d+\.\d+$/.test(version)) {
      return reply(
        res,
        {
          status: 400,
          body: {
            error: {
              message: `Unknown Graph API version "${version}" (expected e.g. v23.0). Unknown path components: ${path}`,
              type: "OAuthException",
              code: 2500,
              fbtrace_id: fbtraceId(),
            },
          },
        },
        0,
      );
    }

    if (!authorized(req)) return reply(res, metaErrors.invalidToken(), 0);

    const contentType = req.headers["content-type"] ?? "";
    if (!/^application\/json\b/i.test(contentType)) {
      record.validationErrors = [`Content-Type must be application/json, got "${contentType}"`];
    } else if (!isJson) {
      record.validationErrors = ["Request body is not valid JSON"];
    } else {
      record.validationErrors = validate ? validateMessagesBody(body) : [];
    }
    const firstError = record.validationErrors[0];
    if (firstError !== undefined) return reply(res, metaErrors.invalidParameter(firstError), delayMs);

    const message = body as Record<string, unknown>;
    if (isReadReceipt(message)) {
      reads.push({ phoneNumberId, body: message });
      return reply(res, { status: 200, body: { success: true } }, delayMs);
    }

    const scripted = responder?.(message) ?? queue.shift();
    if (scripted !== undefined) {
      if (scripted.acceptedAnyway) accepted(phoneNumberId, message, makeWamid(String(message.to)));
      else if (scripted.status === 200) {
        const ids =
          isObject(scripted.body) && Array.isArray(scripted.body.messages) ? scripted.body.messages : [];
        const first = ids[0];
        const wamid = isObject(first) && typeof first.id === "string" ? first.id : "";
        accepted(phoneNumberId, message, wamid);
      }
      return reply(res, scripted, delayMs);
    }

    const to = String(message.to);
    const wamid = makeWamid(to);
    accepted(phoneNumberId, message, wamid);
    return reply(
      res,
      {
        status: 200,
        body: {
          messaging_product: "whatsapp",
          contacts: [{ input: to, wa_id: waIdOf(to) }],
          messages: [{ id: wamid }],
        },
      },
      delayMs,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`fake Graph API crashed: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    sent,
    reads,
    invalid: () => requests.filter((r) => r.validationErrors.length > 0),
    enqueue: (...responses) => {
      queue.push(...responses);
    },
    templates,
    setDelay: (ms) => {
      delayMs = ms;
    },
    setResponder: (fn) => {
      responder = fn;
    },
    sendStatusWebhooks: (target) => {
      statusTarget = target;
    },
    setStatusScript: (script) => {
      statusScript = script;
    },
    addMedia: (id, bytes, mimeType, options = {}) => {
      media.set(id, { bytes, mimeType, ...options });
    },
    enqueueMedia: (...responses) => {
      mediaQueue.push(...responses);
    },
    mediaDownloads,
    reset: () => {
      requests.length = 0;
      sent.length = 0;
      reads.length = 0;
      queue.length = 0;
      delayMs = 0;
      responder = undefined;
      statusTarget = undefined;
    },
    close: async () => {
      closed = true;
      for (const entry of pending) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      pending.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}
