import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { purgeExpiredMedia } from "../../src/tools/media/storedMedia.ts";
import { sendCustomerMessage, waitReplies } from "../helpers/customerMessages.ts";
import { type FakeGraphApi, startFakeGraphApi } from "../helpers/fakeGraphApi.ts";
import { startTestService, TEST_ACCESS_TOKEN, type TestService } from "../helpers/startTestService.ts";

// Customer files through the real path: a signed webhook with a media id, the process_media job
// looking it up and downloading it from the fake Graph API (bearer token, size and type checks),
// offline OCR, and the lead agent's answer. The fake validates every send against Meta's OpenAPI.
const bills = new URL("../../../shared/fixtures/bills/", import.meta.url);
let graph: FakeGraphApi;
let svc: TestService;

before(async () => {
  graph = await startFakeGraphApi({ accessToken: TEST_ACCESS_TOKEN });
  svc = await startTestService({
    WHATSAPP_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
    WHATSAPP_GRAPH_BASE_URL: graph.baseUrl,
    DEFAULT_AGENT: "lead_qualification",
    TURN_DEBOUNCE_MS: "50",
    MEDIA_MAX_BYTES: String(2 * 1024 * 1024),
  });
});
after(async () => {
  await svc.stop();
  await graph.close();
});

const newCustomer = () => `55119${randomInt(10_000_000, 99_999_999)}`;

test("a bill photo is downloaded with the token, read offline, and fills the lead's slots", async () => {
  const waId = newCustomer();
  const mediaId = String(randomInt(1e11, 9e11));
  const bytes = readFileSync(new URL("bill_01_clean.png", bills));
  graph.addMedia(mediaId, bytes, "image/png");
  await sendCustomerMessage(svc, waId, {
    type: "image",
    mediaId,
    mimeType: "image/png",
    bytes,
    caption: "minha conta",
  });
  const [first, second] = await waitReplies(graph, waId, 2);
  assert.match(first ?? "", /Recebi sua conta/);
  assert.match(first ?? "", /Equatorial Goiás/);
  assert.match(first ?? "", /R\$ 441,00/);
  assert.match(second ?? "", /nome/i, "then the first question still unanswered: the name");
  const download = graph.mediaDownloads.find((d) => d.id === mediaId);
  assert.ok(download?.authorized, "the download carried the bearer token");
  // "Read" and "typing…" reach the customer as the file's job starts, before the file is even
  // looked up, not only when the turn runs after seconds of OCR.
  const image = await svc.db.query<{ wa_message_id: string }>(
    `select m.wa_message_id from inbound_messages m join conversations c on c.id = m.conversation_id
      where c.customer_wa_id = $1 and m.type = 'image'`,
    [waId],
  );
  const wamid = image.rows[0]?.wa_message_id;
  assert.ok(wamid);
  const firstRead = graph.requests.findIndex(
    (r) => (r.body as { message_id?: string } | undefined)?.message_id === wamid,
  );
  const lookup = graph.requests.findIndex((r) => r.method === "GET" && r.path.endsWith(`/${mediaId}`));
  assert.ok(firstRead >= 0 && lookup >= 0 && firstRead < lookup, `read ${firstRead}, lookup ${lookup}`);
  assert.ok(download?.userAgent, "and a User-Agent");
  const { rows } = await svc.db.query(
    `select m.status, m.size_bytes, m.mime_type, m.expires_at > now() + interval '89 days' as kept,
            c.state->'slots' as slots
       from media m join conversations c on c.id = m.conversation_id where m.wa_media_id = $1`,
    [mediaId],
  );
  assert.equal(rows[0]?.status, "ready");
  assert.equal(rows[0]?.size_bytes, bytes.length);
  assert.equal(rows[0]?.kept, true, "retention: 90 days by default");
  assert.deepEqual(
    {
      distributor: rows[0]?.slots.distributor,
      bill: rows[0]?.slots.monthly_bill_brl,
      kwh: rows[0]?.slots.consumption_kwh,
      city: rows[0]?.slots.city,
      state: rows[0]?.slots.state,
      received: rows[0]?.slots.bill_received,
    },
    { distributor: "Equatorial Goiás", bill: 441, kwh: 468, city: "Anápolis", state: "GO", received: true },
  );
  assert.deepEqual(graph.invalid(), []);
});

test("a file over MEDIA_MAX_BYTES is refused from the lookup, never downloaded, and the customer is told", async () => {
  const waId = newCustomer();
  const mediaId = String(randomInt(1e11, 9e11));
  const bytes = readFileSync(new URL("bill_01_clean.png", bills));
  graph.addMedia(mediaId, bytes, "image/jpeg", { declaredSize: 30 * 1024 * 1024 });
  await sendCustomerMessage(svc, waId, { type: "image", mediaId, mimeType: "image/jpeg", bytes });
  const all = await waitReplies(graph, waId, 1);
  assert.ok(
    all.some((r) => /grande demais/.test(r)),
    all.join(" | "),
  );
  assert.equal(graph.mediaDownloads.filter((d) => d.id === mediaId).length, 0);
  const { rows } = await svc.db.query(
    "select status, bytes is null as empty from media where wa_media_id = $1",
    [mediaId],
  );
  assert.deepEqual(rows[0], { status: "rejected", empty: true });
});

test("a document of a type we do not read is refused without any call to Meta", async () => {
  const waId = newCustomer();
  const mediaId = String(randomInt(1e11, 9e11));
  const before = graph.requests.length;
  await sendCustomerMessage(svc, waId, {
    type: "document",
    mediaId,
    mimeType: "application/zip",
    bytes: Buffer.from("PK\u0003\u0004 not a bill"),
    filename: "conta.zip",
  });
  const all = await waitReplies(graph, waId, 1);
  assert.ok(
    all.some((r) => /tipo de arquivo/.test(r)),
    all.join(" | "),
  );
  assert.equal(
    graph.requests.slice(before).filter((r) => r.path.includes(mediaId)).length,
    0,
    "no media lookup for a disallowed type",
  );
});

test("a media lookup that fails with 500 is retried by the queue, then the bill is read", async () => {
  const waId = newCustomer();
  const mediaId = String(randomInt(1e11, 9e11));
  const bytes = readFileSync(new URL("bill_04_pdf_text.pdf", bills));
  graph.addMedia(mediaId, bytes, "application/pdf");
  graph.enqueueMedia({
    status: 500,
    body: {
      error: { message: "An unknown error occurred", type: "OAuthException", code: 1, fbtrace_id: "Ax" },
    },
  });
  await sendCustomerMessage(svc, waId, {
    type: "document",
    mediaId,
    mimeType: "application/pdf",
    bytes,
    filename: "conta.pdf",
  });
  const [first] = await waitReplies(graph, waId, 1);
  assert.match(first ?? "", /Neoenergia Pernambuco/);
  assert.match(first ?? "", /R\$ 510,44/);
  const lookups = graph.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/${mediaId}`));
  assert.equal(lookups.length, 2, "one failed lookup, one retry");
});

test("a voice note without a transcription service gets a request to type, and is not downloaded", async () => {
  const waId = newCustomer();
  const mediaId = String(randomInt(1e11, 9e11));
  const bytes = Buffer.from("OggS fake opus");
  graph.addMedia(mediaId, bytes, "audio/ogg; codecs=opus");
  await sendCustomerMessage(svc, waId, { type: "audio", mediaId, mimeType: "audio/ogg; codecs=opus", bytes });
  const all = await waitReplies(graph, waId, 1);
  assert.ok(
    all.some((r) => /escrever em texto/.test(r)),
    all.join(" | "),
  );
  assert.equal(graph.mediaDownloads.filter((d) => d.id === mediaId).length, 0);
});

test("past MEDIA_RETENTION_DAYS a file's bytes are deleted; what was read from it stays", async () => {
  const { rows } = await svc.db.query<{ id: string }>(
    "update media set expires_at = now() - interval '1 day' where status = 'ready' and bytes is not null returning id",
  );
  assert.ok(rows.length > 0, "a downloaded file to expire");
  assert.ok((await purgeExpiredMedia(svc.db)) >= rows.length);
  const after = await svc.db.query(
    "select bytes is null as gone, result is not null as read from media where id = any($1::bigint[])",
    [rows.map((r) => r.id)],
  );
  assert.ok(after.rows.every((r) => r.gone && r.read));
  // A sandbox customer's upload (simulator, stories) is a customer's bill too: gone past retention.
  await svc.db.query(
    `insert into sandbox_media (id, mime_type, sha256, bytes, created_at) values
       ('old-upload', 'image/png', 'x', '\\x00', now() - interval '91 days'),
       ('new-upload', 'image/png', 'x', '\\x00', now())`,
  );
  await purgeExpiredMedia(svc.db, 90);
  const kept = await svc.db.query<{ id: string }>(
    "select id from sandbox_media where id in ('old-upload', 'new-upload') order by id",
  );
  assert.deepEqual(
    kept.rows.map((r) => r.id),
    ["new-upload"],
  );
});
