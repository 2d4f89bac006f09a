import { setTimeout as sleep } from "node:timers/promises";
import { APIConnectionTimeoutError, APIError, toFile } from "openai";
import { z } from "zod";
import { createOpenAiClient } from "../llm/createOpenAiClient.ts";
import { oggDurationSec } from "./oggDurationSec.ts";

export type Transcription = { text: string; ms: number; durationSec?: number };
export type TranscribeResult =
  | { ok: true; transcription: Transcription }
  | { ok: false; reason: "too_long" | "timeout" | "failed" | "empty" | "unsupported_type"; detail?: string };
export type Transcriber = (audio: { bytes: Buffer; mimeType: string }) => Promise<TranscribeResult>;

export type TranscriberOptions = {
  baseUrl: string;
  /** Local servers (whisper.cpp, faster-whisper) need none. */
  apiKey?: string;
  model: string;
  /** Bounds the whole call, a rate-limit wait and its one retry included. */
  timeoutMs: number;
  maxDurationSec: number;
  /** ISO-639-1; "pt" by default: telling Whisper the language avoids misdetection on short notes. */
  language?: string;
  /**
   * "verbose_json" (default) returns the duration and per-segment no-speech scores; whisper-1, Groq
   * and local Whisper servers support it. gpt-4o-transcribe models only answer "json".
   */
  responseFormat?: "json" | "verbose_json";
};

// The audio types WhatsApp delivers, and the file name each is uploaded under: OpenAI's endpoint
// decides the format by the extension. It refuses .aac and .amr, which then come back as `failed`
// with its message; Groq's and local servers (ffmpeg-backed) decide for themselves.
// A Map, not an object: the type comes from outside and must not reach Object.prototype keys.
const FILE_NAMES = new Map([
  ["audio/ogg", "voice.ogg"],
  ["audio/mpeg", "audio.mp3"],
  ["audio/mp4", "audio.m4a"],
  ["audio/aac", "audio.aac"],
  ["audio/amr", "audio.amr"],
]);

// Whisper's own silence rule (no_speech_threshold 0.6 with logprob_threshold -1): on a silent note
// it still "hears" stock phrases ("Legendas pela comunidade Amara.org", "Obrigado."), and those
// segments carry a high no-speech probability with a low average log-probability.
const NO_SPEECH_PROB = 0.6;
const LOW_LOGPROB = -1;
const DEFAULT_RATE_LIMIT_WAIT_MS = 500;

const responseSchema = z.object({
  text: z.string(),
  duration: z.number().nonnegative().optional().catch(undefined),
  segments: z
    .array(z.object({ no_speech_prob: z.number(), avg_logprob: z.number() }))
    .optional()
    .catch(undefined),
  // Duration-billed models report the seconds here; token-billed ones have another shape.
  usage: z.object({ seconds: z.number().nonnegative() }).optional().catch(undefined),
});

/** 320 kbit/s: the highest bitrate of the audio types WhatsApp delivers (AAC, MP3, AMR, Opus). */
const MAX_AUDIO_BYTES_PER_SEC = 40_000;

/**
 * Voice-note transcription through an OpenAI-compatible `/audio/transcriptions` endpoint (OpenAI,
 * Groq, a local Whisper server: only the base URL and model change). Ogg voice notes over
 * `maxDurationSec` are refused from their page headers before anything is uploaded; other types
 * are refused first by size (longer than the limit even at 320 kbit/s), then held to the provider's
 * reported duration, so the rule does not depend on the format. One retry on 429 when the provider's wait fits the time left. Never throws.
 */
export function createTranscriber(options: TranscriberOptions): Transcriber {
  const openai = createOpenAiClient(options);
  const language = options.language ?? "pt";
  const responseFormat = options.responseFormat ?? "verbose_json";
  const tooLong = (sec: number, source: string): TranscribeResult => ({
    ok: false,
    reason: "too_long",
    detail: `${sec.toFixed(1)} s (${source}) over the ${options.maxDurationSec} s limit`,
  });

  return async ({ bytes, mimeType }) => {
    const type = (mimeType.split(";")[0] ?? "").trim().toLowerCase();
    const fileName = FILE_NAMES.get(type);
    if (!fileName) return { ok: false, reason: "unsupported_type", detail: type || "no MIME type" };
    if (bytes.length === 0) return { ok: false, reason: "empty", detail: "no audio bytes" };
    const estimated = type === "audio/ogg" ? oggDurationSec(bytes) : undefined;
    if (estimated !== undefined && estimated > options.maxDurationSec)
      return tooLong(estimated, "Ogg header");
    // Without a header to read, the size bounds the length: even at the highest bitrate WhatsApp
    // sends, a file this big is over the limit, and is refused before the paid upload.
    const atLeast = bytes.length / MAX_AUDIO_BYTES_PER_SEC;
    if (estimated === undefined && atLeast > options.maxDurationSec) return tooLong(atLeast, "file size");

    const started = performance.now();
    const deadline = started + options.timeoutMs;
    const signal = AbortSignal.timeout(options.timeoutMs);
    try {
      const file = await toFile(bytes, fileName, { type });
      const request = () =>
        openai.audio.transcriptions.create(
          { file, model: options.model, language, response_format: responseFormat },
          { signal },
        );
      let raw: unknown;
      try {
        raw = await request();
      } catch (err) {
        const waitMs = rateLimitWaitMs(err);
        if (waitMs === undefined) throw err;
        if (performance.now() + waitMs >= deadline)
          return {
            ok: false,
            reason: "failed",
            detail: `rate limited; retry-after ${waitMs} ms exceeds the budget`,
          };
        await sleep(waitMs, undefined, { signal });
        raw = await request();
      }
      const ms = Math.round(performance.now() - started);
      const parsed = responseSchema.safeParse(raw);
      if (!parsed.success) return { ok: false, reason: "failed", detail: "unexpected response shape" };
      const { text, duration, segments, usage } = parsed.data;
      const durationSec = duration ?? usage?.seconds ?? estimated;
      if (durationSec !== undefined && durationSec > options.maxDurationSec)
        return tooLong(durationSec, "reported by the provider");
      const trimmed = text.trim();
      if (!trimmed) return { ok: false, reason: "empty", detail: "no text" };
      if (
        segments?.length &&
        segments.every((s) => s.no_speech_prob > NO_SPEECH_PROB && s.avg_logprob < LOW_LOGPROB)
      )
        return { ok: false, reason: "empty", detail: "no speech detected" };
      return {
        ok: true,
        transcription: { text: trimmed, ms, ...(durationSec === undefined ? {} : { durationSec }) },
      };
    } catch (err) {
      if (signal.aborted || err instanceof APIConnectionTimeoutError)
        return { ok: false, reason: "timeout", detail: `no answer within ${options.timeoutMs} ms` };
      // The SDK's message already leads with the status ("429 Rate limit reached…").
      return { ok: false, reason: "failed", detail: err instanceof Error ? err.message : String(err) };
    }
  };
}

/** How long a 429 asks us to wait (retry-after-ms, or retry-after in seconds or as a date); else undefined. */
function rateLimitWaitMs(err: unknown): number | undefined {
  if (!(err instanceof APIError) || err.status !== 429) return undefined;
  const ms = Number(err.headers?.get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const after = err.headers?.get("retry-after");
  if (after) {
    const sec = Number(after);
    if (Number.isFinite(sec) && sec >= 0) return sec * 1000;
    const at = Date.parse(after);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  return DEFAULT_RATE_LIMIT_WAIT_MS;
}
