import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, beforeEach, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { type FakeGraphApi, type FakeResponse, metaErrors, startFakeGraphApi } from "./fakeGraphApi.ts";

const TOKEN = "EAAtest-token";
const PHONE_NUMBER_ID = "106540352242922";
const TO = "+5511999990001";

type GraphErrorBody = {
  error: {
    message: string;
    type: string;
    code: number;
    error_data?: { messaging_product: string; details: string };
    fbtrace_id: string;
  };
};

type PostOptions = {
  path?: string;
  token?: string | null;
  contentType?: string;
  raw?: string;
  signal?: AbortSignal;
};

let fake: FakeGraphApi;

async function post(
  body: unknown,
  options: PostOptions = {},
): Promise<{ status: number; json: unknown; text: string }> {
  const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json" };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${fake.baseUrl}${options.path ?? `/v23.0/${PHONE_NUMBER_ID}/messages`}`, {
    method: "POST",
    headers,
    body: options.raw ?? JSON.stringify(body),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

function graphError(json: unknown): GraphErrorBody["error"] {
  assert.ok(
    typeof json === "object" && json !== null && "error" in json,
    `not a Graph error: ${JSON.stringify(json)}`,
  );
  return (json as GraphErrorBody).error;
}

const textMessage = (extra: Record<string, unknown> = {}) => ({
  messaging_product: "whatsapp",
  recipient_type: "individual",
  to: TO,
  type: "text",
  text: { body: "Olá! Como posso ajudar?", preview_url: false },
  ...extra,
});

const replyButtons = (titles: string[]) => ({
  messaging_product: "whatsapp",
  recipient_type: "individual",
  to: TO,
  type: "interactive",
  context: { message_id: "wamid.HBgNNTUxMTk5OTk5MDAwMRUCABIYFDNBRjMyMTM0MzZFNkZDQzMwMkFGAA==" },
  interactive: {
    type: "button",
    header: { type: "text", text: "Agendamento" },
    body: { text: "Qual horário prefere?" },
    footer: { text: "Responda com um botão" },
    action: {
      buttons: titles.map((title, i) => ({ type: "reply", reply: { id: `slot_${i}`, title } })),
    },
  },
});

const templateMessage = (bodyParameters: unknown[]) => ({
  messaging_product: "whatsapp",
  recipient_type: "individual",
  to: TO,
  type: "template",
  template: {
    name: "lembrete_consulta",
    language: { policy: "deterministic", code: "pt_BR" },
    components: [
      { type: "header", parameters: [{ type: "image", image: { link: "https://example.com/logo.png" } }] },
      { type: "body", parameters: bodyParameters },
      {
        type: "button",
        sub_type: "quick_reply",
        index: "0",
        parameters: [{ type: "payload", payload: "CONFIRM" }],
      },
    ],
  },
});

const readReceipt = {
  messaging_product: "whatsapp",
  status: "read",
  message_id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=",
  typing_indicator: { type: "text" },
};

before(async () => {
  fake = await startFakeGraphApi({ accessToken: TOKEN });
});

after(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
});

describe("valid requests", () => {
  test("a text send passes validation and gets Meta's success body with a realistic, unique wamid", async () => {
    const first = await post(textMessage());
    const second = await post(textMessage());

    assert.equal(first.status, 200);
    const body = first.json as { messaging_product: string; contacts: unknown[]; messages: { id: string }[] };
    assert.deepEqual(Object.keys(body), ["messaging_product", "contacts", "messages"]);
    assert.equal(body.messaging_product, "whatsapp");
    assert.deepEqual(body.contacts, [{ input: TO, wa_id: "5511999990001" }]);
    assert.equal(body.messages.length, 1);
    const wamid = body.messages[0]?.id ?? "";
    assert.match(wamid, /^wamid\.[A-Za-z0-9+/]+={0,2}$/);
    const decoded = Buffer.from(wamid.slice("wamid.".length), "base64").toString("latin1");
    assert.ok(decoded.includes("5511999990001"), "a wamid embeds the recipient like Meta's do");

    const secondId = (second.json as { messages: { id: string }[] }).messages[0]?.id;
    assert.notEqual(secondId, wamid);
    assert.deepEqual(fake.invalid(), []);
    assert.equal(fake.sent.length, 2);
    assert.equal(fake.sent[0]?.wamid, wamid);
    assert.equal(fake.sent[0]?.phoneNumberId, PHONE_NUMBER_ID);
    assert.deepEqual(fake.sent[0]?.body, textMessage());
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0]?.headers.authorization, `Bearer ${TOKEN}`);
  });

  test("biz_opaque_callback_data is accepted up to 512 characters, and not beyond", async () => {
    assert.equal((await post(textMessage({ biz_opaque_callback_data: "turn:42;lead:7" }))).status, 200);
    assert.equal((await post(textMessage({ biz_opaque_callback_data: "x".repeat(512) }))).status, 200);
    const tooLong = await post(textMessage({ biz_opaque_callback_data: "x".repeat(513) }));
    assert.equal(tooLong.status, 400);
    assert.deepEqual(fake.invalid()[0]?.validationErrors, [
      "/biz_opaque_callback_data must NOT have more than 512 characters",
    ]);
  });

  test("an interactive reply-buttons message passes; four buttons or a 21-character title do not", async () => {
    assert.equal((await post(replyButtons(["Manhã", "Tarde", "Noite"]))).status, 200);
    assert.deepEqual(fake.invalid(), []);

    assert.equal((await post(replyButtons(["A", "B", "C", "D"]))).status, 400);
    assert.equal((await post(replyButtons(["x".repeat(21)]))).status, 400);
    const errors = fake.invalid().map((r) => r.validationErrors[0]);
    assert.deepEqual(errors, [
      "/interactive/action/buttons must NOT have more than 3 items",
      "/interactive/action/buttons/0/reply/title must NOT have more than 20 characters",
    ]);
  });

  test("a template message passes; a text parameter without text does not", async () => {
    const ok = await post(
      templateMessage([
        { type: "text", text: "Maria" },
        { type: "text", text: "14h" },
      ]),
    );
    assert.equal(ok.status, 200);
    // hello_world as Meta's getting-started sends it: no recipient_type, no language.policy.
    const helloWorld = {
      messaging_product: "whatsapp",
      to: TO,
      type: "template",
      template: { name: "hello_world", language: { code: "en_US" } },
    };
    assert.equal((await post(helloWorld)).status, 200);
    assert.deepEqual(fake.invalid(), []);

    const bad = await post(templateMessage([{ type: "text" }]));
    assert.equal(bad.status, 400);
    assert.equal(
      graphError(bad.json).error_data?.details,
      "/template/components/1/parameters/0 must have required property 'text'",
    );
  });

  test("a read receipt with typing indicator answers {success:true} and is recorded as a read, not a send", async () => {
    const response = await post(readReceipt);
    assert.equal(response.status, 200);
    assert.deepEqual(response.json, { success: true });
    assert.deepEqual(fake.reads, [{ phoneNumberId: PHONE_NUMBER_ID, body: readReceipt }]);
    assert.equal(fake.sent.length, 0);
    assert.deepEqual(fake.invalid(), []);

    const { typing_indicator: _, ...plainRead } = readReceipt;
    assert.equal((await post(plainRead)).status, 200);

    const typo = await post({ ...readReceipt, typing_indicator: { type: "txt" } });
    assert.equal(typo.status, 400);
    assert.equal(fake.reads.length, 2);
  });
});

describe("invalid requests", () => {
  const cases: { name: string; body: unknown; firstError: string }[] = [
    {
      name: "type text without text",
      body: { messaging_product: "whatsapp", to: TO, type: "text" },
      firstError: "/ must have required property 'text'",
    },
    {
      name: "text.body a number",
      body: textMessage({ text: { body: 42 } }),
      firstError: "/text/body must be string",
    },
    {
      name: "unknown top-level field",
      body: textMessage({ reply_to: "wamid.x" }),
      firstError: "/ must NOT have unevaluated properties: reply_to",
    },
    {
      name: "empty text object",
      body: textMessage({ text: {} }),
      firstError: "/text must have required property 'body'",
    },
    {
      name: "wrong messaging_product",
      body: textMessage({ messaging_product: "instagram" }),
      firstError: "/messaging_product must be equal to one of the allowed values: whatsapp",
    },
    {
      name: "text over 4096 characters",
      body: textMessage({ text: { body: "a".repeat(4097) } }),
      firstError: "/text/body must NOT have more than 4096 characters",
    },
    {
      name: "unknown message type",
      body: { messaging_product: "whatsapp", to: TO, type: "carousel" },
      firstError:
        "/type must be equal to one of the allowed values: text, audio, document, image, location, video, sticker, reaction, interactive, template, contacts",
    },
  ];

  for (const c of cases) {
    test(`${c.name} → 400 code 100, recorded as invalid, never sent`, async () => {
      fake.enqueue(metaErrors.pairRateLimit());
      const response = await post(c.body);
      assert.equal(response.status, 400);
      const error = graphError(response.json);
      assert.equal(error.message, "(#100) Invalid parameter");
      assert.equal(error.type, "OAuthException");
      assert.equal(error.code, 100);
      assert.deepEqual(error.error_data, { messaging_product: "whatsapp", details: c.firstError });
      assert.match(error.fbtrace_id, /^A[\w-]{22}$/);
      assert.equal(fake.invalid().length, 1);
      assert.equal(fake.invalid()[0]?.validationErrors[0], c.firstError);
      assert.equal(fake.sent.length, 0);
      // The validation failure did not consume the scripted response: the next valid send gets it.
      const next = await post(textMessage());
      assert.equal(next.status, 400);
      assert.equal(graphError(next.json).code, 131056);
    });
  }

  test("missing or wrong token → 401 with Meta's code 190 body", async () => {
    for (const token of [null, "someone-elses-token"]) {
      const response = await post(textMessage(), { token });
      assert.equal(response.status, 401);
      const error = graphError(response.json);
      assert.equal(error.message, "Invalid OAuth access token - Cannot parse access token");
      assert.equal(error.type, "OAuthException");
      assert.equal(error.code, 190);
    }
    assert.equal(fake.sent.length, 0);
    assert.equal(fake.requests.length, 2);
  });

  test("bad JSON or a non-JSON content type → 400 code 100, recorded as invalid", async () => {
    const badJson = await post(undefined, { raw: '{"messaging_product":' });
    assert.equal(badJson.status, 400);
    assert.equal(graphError(badJson.json).code, 100);
    const form = await post(undefined, {
      raw: "to=1&type=text",
      contentType: "application/x-www-form-urlencoded",
    });
    assert.equal(form.status, 400);
    assert.equal(fake.invalid().length, 2);
  });

  test("unknown paths → 404 code 2500; a malformed version → 400", async () => {
    const unknown = await post(textMessage(), { path: `/v23.0/${PHONE_NUMBER_ID}/media` });
    assert.equal(unknown.status, 404);
    assert.equal(graphError(unknown.json).code, 2500);
    assert.match(graphError(unknown.json).message, /^Unknown path components: /);
    const unversioned = await post(textMessage(), { path: `/${PHONE_NUMBER_ID}/messages/x` });
    assert.equal(unversioned.status, 404);
    const badVersion = await post(textMessage(), { path: `/23/${PHONE_NUMBER_ID}/messages` });
    assert.equal(badVersion.status, 400);
    assert.equal(graphError(badVersion.json).type, "OAuthException");
    assert.equal(fake.sent.length, 0);
  });
});

describe("scripted responses", () => {
  test("are returned in order, one per send attempt, then sends succeed again", async () => {
    fake.enqueue(metaErrors.pairRateLimit(), metaErrors.internalError(), metaErrors.http500Html());
    fake.enqueue(metaErrors.serviceUnavailable());

    const pair = await post(textMessage());
    assert.equal(pair.status, 400);
    assert.equal(graphError(pair.json).code, 131056);
    assert.equal(
      graphError(pair.json).message,
      "(#131056) (Business Account, Consumer Account) pair rate limit hit",
    );
    assert.equal(
      (await post(readReceipt)).status,
      200,
      "read receipts do not consume scripted send responses",
    );
    const internal = await post(textMessage());
    assert.deepEqual([internal.status, graphError(internal.json).code], [500, 131000]);
    const html = await post(textMessage());
    assert.equal(html.status, 500);
    assert.equal(html.json, undefined);
    assert.match(html.text, /^<!DOCTYPE html>/);
    const unavailable = await post(textMessage());
    assert.deepEqual([unavailable.status, graphError(unavailable.json).code], [503, 131016]);
    const ok = await post(textMessage());
    assert.equal(ok.status, 200);

    assert.equal(fake.sent.length, 1);
    assert.equal(fake.requests.length, 6);
    assert.deepEqual(fake.invalid(), []);
  });

  test("a scripted 200 counts as sent, with its wamid", async () => {
    const scripted: FakeResponse = {
      status: 200,
      body: {
        messaging_product: "whatsapp",
        contacts: [{ input: TO, wa_id: "5511999990001" }],
        messages: [{ id: "wamid.SCRIPTED" }],
      },
    };
    fake.enqueue(scripted);
    const response = await post(textMessage());
    assert.deepEqual(response.json, scripted.body);
    assert.equal(fake.sent[0]?.wamid, "wamid.SCRIPTED");
  });

  test("setDelay makes sends hang; the accepted message is still recorded and close() is quick", async () => {
    const slow = await startFakeGraphApi();
    try {
      slow.setDelay(5_000);
      const started = Date.now();
      await assert.rejects(
        fetch(`${slow.baseUrl}/v23.0/${PHONE_NUMBER_ID}/messages`, {
          method: "POST",
          headers: { authorization: "Bearer any", "content-type": "application/json" },
          body: JSON.stringify(textMessage()),
          signal: AbortSignal.timeout(100),
        }),
        { name: "TimeoutError" },
      );
      assert.ok(Date.now() - started < 2_000);
      assert.equal(slow.sent.length, 1, "Meta accepted it; only the answer was lost");
    } finally {
      const closing = Date.now();
      await slow.close();
      assert.ok(Date.now() - closing < 1_000, "close() does not wait for hanging requests");
    }
  });
});

describe("metaErrors", () => {
  const expected: [keyof typeof metaErrors, number, number][] = [
    ["rateLimitThroughput", 400, 130429],
    ["pairRateLimit", 400, 131056],
    ["spamRateLimit", 400, 131048],
    ["undeliverable", 400, 131026],
    ["reEngagement", 400, 131047],
    ["templateNotFound", 404, 132001],
    ["templateParamMismatch", 400, 132000],
    ["serviceUnavailable", 503, 131016],
    ["internalError", 500, 131000],
    ["tokenExpired", 401, 190],
    ["invalidToken", 401, 190],
    ["appRateLimit", 400, 4],
    ["http429", 429, 4],
  ];

  for (const [name, status, code] of expected) {
    test(`${name}() → HTTP ${status}, code ${code}, Meta's envelope`, () => {
      const make = metaErrors[name] as () => FakeResponse;
      const response = make();
      assert.equal(response.status, status);
      const error = graphError(response.body);
      assert.equal(error.code, code);
      assert.equal(error.type, "OAuthException");
      assert.match(error.fbtrace_id, /^A[\w-]{22}$/);
      if (code !== 190) {
        assert.ok(error.message.startsWith(`(#${code}) `), error.message);
        assert.equal(error.error_data?.messaging_product, "whatsapp");
        assert.ok((error.error_data?.details.length ?? 0) > 0);
      }
      assert.notEqual(graphError(make().body).fbtrace_id, error.fbtrace_id, "fresh trace id per call");
    });
  }

  test("invalidParameter(details) carries the details; http500Html is not JSON", () => {
    assert.equal(
      graphError(metaErrors.invalidParameter("to is required").body).error_data?.details,
      "to is required",
    );
    const html = metaErrors.http500Html();
    assert.equal(html.status, 500);
    assert.equal(typeof html.body, "string");
    assert.throws(() => JSON.parse(String(html.body)));
  });
});

describe("Meta's own request examples for POST /{Version}/{Phone-Number-ID}/messages", () => {
  /** Examples that fail and why (spec sloppiness or placeholders, not fake bugs); see the helper's header. */
  const knownFailures: Record<string, string> = {
    "Send Catalog Template Message":
      "sub_type CATALOG (enum is lowercase), integer index, parameter type action",
    "Send Flow Template Message": "sub_type flow and parameter type action are not in the spec's enums",
    "Send Location Message": "latitude/longitude are numbers; the spec says string",
    "Send Reply to Location Message": "latitude/longitude are numbers; the spec says string",
    "Send Multi-Product Message": "header.type is the placeholder <HEADER_TYPE>",
    "Send Order Details Message": "interactive.type order_details is not in the spec's enum",
    "Send Order Status Message": "interactive.type order_status is not in the spec's enum",
    "Send Reply to List Message": "no type",
    "Send Text Message with Preview URL": "no type",
    "Send Sample Issue Resolution Template":
      "integer index; YAML turned the button texts Yes/No into true/false",
  };

  test("validate, except the known sloppy ones", async (t) => {
    const spec = parseYaml(
      readFileSync(
        new URL("../../../shared/fixtures/meta-openapi/business-messaging-api_v23.0.yaml", import.meta.url),
        "utf8",
      ),
    ) as {
      paths: Record<
        string,
        {
          post: {
            requestBody: { content: Record<string, { examples: Record<string, { value: unknown }> }> };
          };
        }
      >;
    };
    const examples =
      spec.paths["/{Version}/{Phone-Number-ID}/messages"]?.post.requestBody.content["application/json"]
        ?.examples;
    assert.ok(examples !== undefined);

    const failed: Record<string, string[]> = {};
    for (const [name, { value }] of Object.entries(examples)) {
      const response = await post(value);
      if (response.status !== 200) failed[name] = fake.requests.at(-1)?.validationErrors ?? [];
    }
    const total = Object.keys(examples).length;
    const passed = total - Object.keys(failed).length;
    t.diagnostic(`Meta's examples: ${passed}/${total} validate`);
    for (const [name, errors] of Object.entries(failed))
      t.diagnostic(`✗ ${name}: ${errors.slice(0, 3).join("; ")}`);

    for (const name of [
      "Send Text Message",
      "Send Reply to Text Message",
      "Send Reply Button",
      "Send Test Message",
      "Send Message Template Text",
      "Send Message Template Media",
      "Send Message Template Interactive",
      "Send List Message",
      "Send typing indicator and read receipt",
    ]) {
      assert.ok(name in examples, `example ${name} exists`);
      assert.equal(failed[name], undefined, `${name} must validate`);
    }
    assert.deepEqual(Object.keys(failed).sort(), Object.keys(knownFailures).sort());
  });
});
