import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, before, test } from "node:test";
import { sendCustomerMessage, waitReplies } from "../helpers/customerMessages.ts";
import { type FakeGraphApi, startFakeGraphApi } from "../helpers/fakeGraphApi.ts";
import { startFakeOpenAi } from "../helpers/fakeOpenAi.ts";
import { startTestService, TEST_ACCESS_TOKEN, type TestService } from "../helpers/startTestService.ts";

// Voice notes with a transcription service configured: the media job downloads the note from the
// fake Graph API, sends it to the fake OpenAI-compatible /audio/transcriptions (multipart parsed
// for real), stores the transcript as the message's text, and the turn reads it like typed text.
let graph: FakeGraphApi;
let openai: Awaited<ReturnType<typeof startFakeOpenAi>>;
let svc: TestService;

before(async () => {
  graph = await startFakeGraphApi({ accessToken: TEST_ACCESS_TOKEN });
  openai = await startFakeOpenAi();
  svc = await startTestService({
    WHATSAPP_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
    WHATSAPP_GRAPH_BASE_URL: graph.baseUrl,
    DEFAULT_AGENT: "lead_qualification",
    TURN_DEBOUNCE_MS: "50",
    TRANSCRIBE_BASE_URL: openai.baseUrl,
    TRANSCRIBE_API_KEY: "sk-test-transcribe",
    TRANSCRIBE_MODEL: "whisper-large-v3",
  });
});
after(async () => {
  await svc.stop();
  await graph.close();
  await openai.close();
});

test("a transcribed voice note answers the question like typed text", async () => {
  const waId = `55819${randomInt(10_000_000, 99_999_999)}`;
  await sendCustomerMessage(svc, waId, { type: "text", text: "Oi" });
  await waitReplies(graph, waId, 1);
  const mediaId = String(randomInt(1e11, 9e11));
  const audio = Buffer.from(`OggS voice note of ${waId}`);
  graph.addMedia(mediaId, audio, "audio/ogg; codecs=opus");
  openai.transcriptions.register(audio, { text: "Maria Souza", durationSec: 2.4 });
  await sendCustomerMessage(svc, waId, {
    type: "audio",
    mediaId,
    mimeType: "audio/ogg; codecs=opus",
    bytes: audio,
  });
  const all = await waitReplies(graph, waId, 2);
  assert.match(all[1] ?? "", /Maria/, "the name from the voice note was understood");
  assert.match(all[1] ?? "", /cidade/i, "and the next question asked");
  const request = openai.transcriptions.requests.at(-1);
  assert.equal(request?.model, "whisper-large-v3");
  assert.equal(request?.language, "pt");
  assert.equal(request?.authorization, "Bearer sk-test-transcribe");
  const { rows } = await svc.db.query(
    `select m.text, md.result->>'kind' as kind from inbound_messages m join media md on md.inbound_message_id = m.id
      where md.wa_media_id = $1`,
    [mediaId],
  );
  assert.deepEqual(rows[0], { text: "Maria Souza", kind: "transcript" });
});

test("when the transcription service fails, the customer is asked to type", async () => {
  const waId = `55819${randomInt(10_000_000, 99_999_999)}`;
  const mediaId = String(randomInt(1e11, 9e11));
  const audio = Buffer.from(`OggS another note ${waId}`);
  graph.addMedia(mediaId, audio, "audio/ogg; codecs=opus");
  openai.transcriptions.script({
    status: 500,
    body: { error: { message: "The server had an error", type: "server_error", param: null, code: null } },
  });
  await sendCustomerMessage(svc, waId, {
    type: "audio",
    mediaId,
    mimeType: "audio/ogg; codecs=opus",
    bytes: audio,
  });
  const all = await waitReplies(graph, waId, 1);
  assert.ok(
    all.some((t) => /escrever em texto/.test(t)),
    all.join(" | "),
  );
});
