import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTranscriber, type TranscriberOptions } from "../../src/tools/transcribe/createTranscriber.ts";
import { openAiErrors, rateLimitedFor, startFakeOpenAi } from "../helpers/fakeOpenAi.ts";

let fake: Awaited<ReturnType<typeof startFakeOpenAi>>;
before(async () => {
  fake = await startFakeOpenAi();
});
after(async () => {
  await fake.close();
});

const transcriber = (overrides: Partial<TranscriberOptions> = {}) =>
  createTranscriber({
    baseUrl: fake.baseUrl,
    apiKey: "sk-test",
    model: "whisper-1",
    timeoutMs: 2000,
    maxDurationSec: 120,
    ...overrides,
  });

/** A minimal Ogg Opus voice note of `seconds`: OpusHead page, then one audio page (pre-skip 312). */
function voiceNote(seconds: number, fill = 0x5a): Buffer {
  const page = (granule: bigint, body: Buffer, sequence: number) => {
    const header = Buffer.alloc(28);
    header.write("OggS", 0, "latin1");
    header.writeBigInt64LE(granule, 6);
    header.writeUInt32LE(7, 14);
    header.writeUInt32LE(sequence, 18);
    header[26] = 1;
    header[27] = body.length;
    return Buffer.concat([header, body]);
  };
  const head = Buffer.alloc(19);
  head.write("OpusHead", 0, "latin1");
  head[8] = 1;
  head[9] = 1;
  head.writeUInt16LE(312, 10);
  return Buffer.concat([page(0n, head, 0), page(BigInt(seconds * 48_000 + 312), Buffer.alloc(200, fill), 1)]);
}
const ogg = "audio/ogg; codecs=opus";

test("a voice note is uploaded as multipart with model, language pt and verbose_json; the transcript comes back", async () => {
  const note = voiceNote(14);
  fake.transcriptions.register(note, { text: " Oi, minha conta vem uns 450 reais. ", durationSec: 14.2 });
  const before = fake.transcriptions.requests.length;
  const r = await transcriber()({ bytes: note, mimeType: ogg });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.transcription.text, "Oi, minha conta vem uns 450 reais.");
  assert.equal(r.transcription.durationSec, 14.2, "the provider's duration wins over the header estimate");
  assert.ok(r.transcription.ms >= 0);
  assert.equal(fake.transcriptions.requests.length, before + 1);
  const sent = fake.transcriptions.requests.at(-1);
  assert.deepEqual(
    {
      authorization: sent?.authorization,
      model: sent?.model,
      language: sent?.language,
      responseFormat: sent?.responseFormat,
      name: sent?.file?.name,
      type: sent?.file?.type,
      size: sent?.file?.size,
    },
    {
      authorization: "Bearer sk-test",
      model: "whisper-1",
      language: "pt",
      responseFormat: "verbose_json",
      name: "voice.ogg",
      type: "audio/ogg",
      size: note.length,
    },
  );
});

test("json format (gpt-4o-transcribe): duration from usage, else from the Ogg header; other WhatsApp types upload", async () => {
  const note = voiceNote(9, 0x11);
  fake.transcriptions.register(note, { text: "Moro em Recife." });
  const json = transcriber({ responseFormat: "json", model: "gpt-4o-mini-transcribe", apiKey: undefined });
  const r = await json({ bytes: note, mimeType: ogg });
  assert.deepEqual(r.ok && { text: r.transcription.text, durationSec: r.transcription.durationSec }, {
    text: "Moro em Recife.",
    durationSec: 9,
  });
  assert.equal(fake.transcriptions.requests.at(-1)?.responseFormat, "json");
  assert.equal(fake.transcriptions.requests.at(-1)?.authorization, "Bearer unused");

  const mp3 = Buffer.from("ID3 fake mp3 bytes");
  fake.transcriptions.register(mp3, { text: "Quero energia solar.", durationSec: 5 });
  const m = await json({ bytes: mp3, mimeType: "audio/mpeg" });
  assert.deepEqual(m.ok && [m.transcription.text, m.transcription.durationSec], ["Quero energia solar.", 5]);
  assert.equal(fake.transcriptions.requests.at(-1)?.file?.name, "audio.mp3");
});

test("too long: refused from the Ogg header, with no request made", async () => {
  const before = fake.transcriptions.requests.length;
  const r = await transcriber({ maxDurationSec: 60 })({ bytes: voiceNote(95), mimeType: ogg });
  assert.deepEqual(r, { ok: false, reason: "too_long", detail: "95.0 s (Ogg header) over the 60 s limit" });
  assert.equal(fake.transcriptions.requests.length, before, "nothing uploaded");
});

test("too long when only the provider knows the duration (mp4)", async () => {
  const m4a = Buffer.from("....ftypM4A long recording");
  fake.transcriptions.register(m4a, { text: "fala fala fala", durationSec: 300 });
  const r = await transcriber({ maxDurationSec: 120 })({ bytes: m4a, mimeType: "audio/mp4" });
  assert.deepEqual(r, {
    ok: false,
    reason: "too_long",
    detail: "300.0 s (reported by the provider) over the 120 s limit",
  });
});

test("a non-Ogg file too big to be under the limit at 320 kbit/s is refused by size, before the paid upload", async () => {
  const before = fake.transcriptions.requests.length;
  const big = Buffer.alloc(120 * 40_000 + 40_000, 1);
  const r = await transcriber({ maxDurationSec: 120 })({ bytes: big, mimeType: "audio/mp4" });
  assert.deepEqual(r, { ok: false, reason: "too_long", detail: "121.0 s (file size) over the 120 s limit" });
  assert.equal(fake.transcriptions.requests.length, before, "no request made");
});

test("unsupported types and empty files are refused without a request", async () => {
  const before = fake.transcriptions.requests.length;
  const t = transcriber();
  assert.deepEqual(await t({ bytes: Buffer.from("x"), mimeType: "video/mp4" }), {
    ok: false,
    reason: "unsupported_type",
    detail: "video/mp4",
  });
  assert.deepEqual(await t({ bytes: Buffer.from("x"), mimeType: "constructor" }), {
    ok: false,
    reason: "unsupported_type",
    detail: "constructor",
  });
  assert.deepEqual(await t({ bytes: Buffer.from("x"), mimeType: "" }), {
    ok: false,
    reason: "unsupported_type",
    detail: "no MIME type",
  });
  assert.deepEqual(await t({ bytes: Buffer.alloc(0), mimeType: ogg }), {
    ok: false,
    reason: "empty",
    detail: "no audio bytes",
  });
  assert.equal(fake.transcriptions.requests.length, before);
});

test("AMR goes up as .amr; OpenAI's refusal of the format comes back as failed with its message", async () => {
  const r = await transcriber()({ bytes: Buffer.from("#!AMR\n...."), mimeType: "audio/amr" });
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.reason, "failed");
    assert.match(r.detail ?? "", /^400 Invalid file format/);
  }
  assert.equal(fake.transcriptions.requests.at(-1)?.file?.name, "audio.amr");
});

test("429: one retry after retry-after; a second 429, or a wait beyond the budget, is failed", async () => {
  const note = voiceNote(3, 0x22);
  fake.transcriptions.register(note, { text: "Pode me ligar amanhã.", durationSec: 3 });
  let before = fake.transcriptions.requests.length;
  fake.transcriptions.script(rateLimitedFor(0));
  const retried = await transcriber()({ bytes: note, mimeType: ogg });
  assert.deepEqual(retried.ok && retried.transcription.text, "Pode me ligar amanhã.");
  assert.equal(fake.transcriptions.requests.length, before + 2);

  before = fake.transcriptions.requests.length;
  fake.transcriptions.script(rateLimitedFor(0), openAiErrors.rateLimited);
  const twice = await transcriber()({ bytes: note, mimeType: ogg });
  assert.deepEqual(twice, { ok: false, reason: "failed", detail: "429 Rate limit reached for requests" });
  assert.equal(fake.transcriptions.requests.length, before + 2);

  before = fake.transcriptions.requests.length;
  fake.transcriptions.script(rateLimitedFor(30));
  const tooLate = await transcriber()({ bytes: note, mimeType: ogg });
  assert.deepEqual(tooLate, {
    ok: false,
    reason: "failed",
    detail: "rate limited; retry-after 30000 ms exceeds the budget",
  });
  assert.equal(fake.transcriptions.requests.length, before + 1, "no retry when the wait cannot fit");
});

test("a 500 is failed, not retried and not thrown", async () => {
  const before = fake.transcriptions.requests.length;
  fake.transcriptions.script(openAiErrors.serverError);
  const r = await transcriber()({ bytes: voiceNote(2), mimeType: ogg });
  assert.deepEqual(r, {
    ok: false,
    reason: "failed",
    detail: "500 The server had an error while processing your request.",
  });
  assert.equal(fake.transcriptions.requests.length, before + 1);
});

test("a hanging server is cut at timeoutMs", async () => {
  fake.transcriptions.script({ hangMs: 5000 });
  const r = await transcriber({ timeoutMs: 300 })({ bytes: voiceNote(2), mimeType: ogg });
  assert.deepEqual(r, { ok: false, reason: "timeout", detail: "no answer within 300 ms" });
});

test("malformed answers are failed; blank text or all-silence segments are empty", async () => {
  const t = transcriber();
  fake.transcriptions.script({ raw: '{"transcript": "wrong field"}' });
  assert.deepEqual(await t({ bytes: voiceNote(2), mimeType: ogg }), {
    ok: false,
    reason: "failed",
    detail: "unexpected response shape",
  });
  fake.transcriptions.script({ raw: "{not json" });
  const broken = await t({ bytes: voiceNote(2), mimeType: ogg });
  assert.deepEqual(broken.ok ? "" : broken.reason, "failed");
  fake.transcriptions.script({ raw: "<html>Bad gateway</html>", contentType: "text/html" });
  assert.deepEqual(await t({ bytes: voiceNote(2), mimeType: ogg }), {
    ok: false,
    reason: "failed",
    detail: "unexpected response shape",
  });

  fake.transcriptions.script({ text: "   ", durationSec: 2 });
  assert.deepEqual(await t({ bytes: voiceNote(2), mimeType: ogg }), {
    ok: false,
    reason: "empty",
    detail: "no text",
  });
  // Whisper on silence: a stock phrase with a high no-speech probability.
  fake.transcriptions.script({
    text: "Legendas pela comunidade Amara.org",
    durationSec: 4,
    segments: [{ text: "Legendas pela comunidade Amara.org", noSpeechProb: 0.93, avgLogprob: -1.4 }],
  });
  assert.deepEqual(await t({ bytes: voiceNote(4), mimeType: ogg }), {
    ok: false,
    reason: "empty",
    detail: "no speech detected",
  });
  // One real segment is enough to keep the transcript.
  fake.transcriptions.script({
    text: "Sim, pode ser. Obrigado.",
    durationSec: 4,
    segments: [
      { text: "Sim, pode ser.", noSpeechProb: 0.05, avgLogprob: -0.3 },
      { text: " Obrigado.", noSpeechProb: 0.8, avgLogprob: -1.2 },
    ],
  });
  const kept = await t({ bytes: voiceNote(4), mimeType: ogg });
  assert.deepEqual(kept.ok && kept.transcription.text, "Sim, pode ser. Obrigado.");
});

test("the fake endpoint itself refuses a request without model or file, in OpenAI's error shape", async () => {
  const form = new FormData();
  form.set("model", "whisper-1");
  const noFile = await fetch(`${fake.baseUrl}/audio/transcriptions`, { method: "POST", body: form });
  assert.equal(noFile.status, 400);
  assert.deepEqual(await noFile.json(), {
    error: {
      message: "Missing required parameter: 'file'.",
      type: "invalid_request_error",
      param: "file",
      code: null,
    },
  });
  const onlyFile = new FormData();
  onlyFile.set("file", new File([new Uint8Array([1, 2, 3])], "a.ogg", { type: "audio/ogg" }));
  const noModel = await fetch(`${fake.baseUrl}/audio/transcriptions`, { method: "POST", body: onlyFile });
  assert.equal(noModel.status, 400);
  assert.deepEqual(await noModel.json(), {
    error: {
      message: "you must provide a model parameter",
      type: "invalid_request_error",
      param: null,
      code: null,
    },
  });
  const notMultipart = await fetch(`${fake.baseUrl}/audio/transcriptions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(notMultipart.status, 400);
});
