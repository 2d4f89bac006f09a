import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeLlmReply =
  | {
      toolCalls?: { name: string; arguments: string }[];
      content?: string;
      usage?: { prompt_tokens: number; completion_tokens: number };
    }
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { hangMs: number };

/** What a recorded chat request carried; `imageUrls` lists the `image_url` content parts (vision). */
export type FakeChatRequest = {
  body: Record<string, unknown>;
  authorization: string | undefined;
  imageUrls: string[];
};

/** A scripted answer of the transcription endpoint; without one, the transcript is looked up by audio. */
export type FakeTranscriptionReply =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { hangMs: number }
  /** A 200 whose body is whatever the test wants (malformed JSON, a wrong shape). */
  | { raw: string; contentType?: string }
  | FakeTranscript;

export type FakeTranscript = {
  text: string;
  durationSec?: number;
  /** verbose_json segments; by default one segment holding the whole text, clearly speech. */
  segments?: { text: string; noSpeechProb: number; avgLogprob: number }[];
};

/** One multipart request to `/audio/transcriptions`, as parsed by the fake. */
export type FakeTranscriptionRequest = {
  authorization: string | undefined;
  model: string | undefined;
  language: string | undefined;
  responseFormat: string | undefined;
  prompt: string | undefined;
  file: { name: string; type: string; size: number; sha256: string } | undefined;
};

// The extensions OpenAI's transcription endpoint accepts; it decides by the file name.
const AUDIO_EXTENSIONS = ["flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"];
const IMAGE_DATA_URL = /^data:image\/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/]+={0,2})$/;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const invalidRequest = (message: string, param: string | null = null) => ({
  error: { message, type: "invalid_request_error", param, code: null },
});

/**
 * A fake OpenAI-compatible server on 127.0.0.1. `POST /v1/chat/completions` answers in OpenAI's
 * response shape (choices, tool_calls, usage) or with OpenAI's error bodies, from a script, and
 * records every request (with the image parts of vision requests). `POST /v1/audio/transcriptions`
 * parses the multipart body for real (400 with OpenAI's error body when `model` or `file` is
 * missing or the file type is one OpenAI refuses), answers the transcript registered for those
 * audio bytes (by sha256) or a scripted reply (error, hang, malformed body), and records requests.
 */
export async function startFakeOpenAi() {
  const requests: FakeChatRequest[] = [];
  const script: FakeLlmReply[] = [];
  const transcriptionRequests: FakeTranscriptionRequest[] = [];
  const transcriptionScript: FakeTranscriptionReply[] = [];
  const transcripts = new Map<string, FakeTranscript>();
  let counter = 0;
  const sockets = new Set<import("node:net").Socket>();

  const sendJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const hang = (res: ServerResponse, ms: number) => {
    setTimeout(() => {
      if (!res.destroyed) res.end();
    }, ms).unref();
  };

  function chat(raw: Buffer, req: IncomingMessage, res: ServerResponse): void {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      sendJson(res, 400, invalidRequest("We could not parse the JSON body of your request."));
      return;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      sendJson(res, 400, invalidRequest("The request body must be a JSON object."));
      return;
    }
    const record = Object.fromEntries(Object.entries(body));
    const imageUrls = imageUrlsOf(record.messages);
    requests.push({ body: record, authorization: req.headers.authorization, imageUrls });
    // OpenAI refuses an image it cannot decode before any model runs.
    for (const url of imageUrls) {
      if (url.startsWith("data:") && !IMAGE_DATA_URL.test(url)) {
        sendJson(res, 400, {
          error: {
            message: "You uploaded an unsupported image. Please make sure your image is valid.",
            type: "invalid_request_error",
            param: null,
            code: "invalid_image_format",
          },
        });
        return;
      }
    }
    const next = script.shift() ?? { content: "ok" };
    if ("hangMs" in next) {
      hang(res, next.hangMs);
      return;
    }
    if ("status" in next) {
      sendJson(res, next.status, next.body, next.headers);
      return;
    }
    counter++;
    const usage = next.usage ?? { prompt_tokens: 100, completion_tokens: 20 };
    sendJson(res, 200, {
      id: `chatcmpl-${counter}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: "fake-model",
      choices: [
        {
          index: 0,
          finish_reason: next.toolCalls?.length ? "tool_calls" : "stop",
          message: {
            role: "assistant",
            content: next.content ?? null,
            ...(next.toolCalls?.length
              ? {
                  tool_calls: next.toolCalls.map((t, i) => ({
                    id: `call_${counter}_${i}`,
                    type: "function",
                    function: { name: t.name, arguments: t.arguments },
                  })),
                }
              : {}),
          },
        },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  }

  async function transcription(raw: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const contentType = req.headers["content-type"] ?? "";
    if (!contentType.startsWith("multipart/form-data")) {
      sendJson(res, 400, invalidRequest("Expected a multipart/form-data request body."));
      return;
    }
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(raw), { headers: { "content-type": contentType } }).formData();
    } catch {
      sendJson(res, 400, invalidRequest("Could not parse multipart form"));
      return;
    }
    const text = (name: string) => {
      const v = form.get(name);
      return typeof v === "string" ? v : undefined;
    };
    const filePart = form.get("file");
    const bytes = filePart instanceof File ? new Uint8Array(await filePart.arrayBuffer()) : undefined;
    const file =
      filePart instanceof File && bytes
        ? { name: filePart.name, type: filePart.type, size: bytes.length, sha256: sha256(bytes) }
        : undefined;
    const record: FakeTranscriptionRequest = {
      authorization: req.headers.authorization,
      model: text("model"),
      language: text("language"),
      responseFormat: text("response_format"),
      prompt: text("prompt"),
      file,
    };
    transcriptionRequests.push(record);
    if (!record.model) {
      sendJson(res, 400, invalidRequest("you must provide a model parameter"));
      return;
    }
    if (!file) {
      sendJson(res, 400, invalidRequest("Missing required parameter: 'file'.", "file"));
      return;
    }
    const ext = file.name.split(".").pop()?.toLowerCase() ?? "";
    if (!AUDIO_EXTENSIONS.includes(ext)) {
      sendJson(
        res,
        400,
        invalidRequest(`Invalid file format. Supported formats: ${JSON.stringify(AUDIO_EXTENSIONS)}`, "file"),
      );
      return;
    }
    const next = transcriptionScript.shift() ?? transcripts.get(file.sha256) ?? { text: "" };
    if ("hangMs" in next) {
      hang(res, next.hangMs);
      return;
    }
    if ("status" in next) {
      sendJson(res, next.status, next.body, next.headers);
      return;
    }
    if ("raw" in next) {
      res.writeHead(200, { "content-type": next.contentType ?? "application/json" });
      res.end(next.raw);
      return;
    }
    const format = record.responseFormat ?? "json";
    if (format === "text") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end(next.text);
      return;
    }
    if (format === "verbose_json") {
      const duration = next.durationSec ?? 0;
      const segments =
        next.segments ?? (next.text ? [{ text: next.text, noSpeechProb: 0.01, avgLogprob: -0.2 }] : []);
      sendJson(res, 200, {
        task: "transcribe",
        language: record.language === "pt" ? "portuguese" : "english",
        duration,
        text: next.text,
        segments: segments.map((s, id) => ({
          id,
          seek: 0,
          start: (duration * id) / segments.length,
          end: (duration * (id + 1)) / segments.length,
          text: s.text,
          tokens: [50364],
          temperature: 0,
          avg_logprob: s.avgLogprob,
          compression_ratio: 1.2,
          no_speech_prob: s.noSpeechProb,
        })),
        usage: { type: "duration", seconds: Math.ceil(duration) },
      });
      return;
    }
    if (format !== "json") {
      sendJson(res, 400, invalidRequest(`Unsupported response_format '${format}'.`, "response_format"));
      return;
    }
    sendJson(res, 200, {
      text: next.text,
      ...(next.durationSec === undefined
        ? {}
        : { usage: { type: "duration", seconds: Math.ceil(next.durationSec) } }),
    });
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      chunks.push(c);
    });
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      if (req.method === "POST" && req.url?.endsWith("/chat/completions")) {
        chat(raw, req, res);
        return;
      }
      if (req.method === "POST" && req.url?.endsWith("/audio/transcriptions")) {
        transcription(raw, req, res).catch(() => {
          if (!res.headersSent) sendJson(res, 500, openAiErrors.serverError.body);
        });
        return;
      }
      sendJson(res, 404, {
        error: { message: "Not found", type: "invalid_request_error", param: null, code: null },
      });
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...replies: FakeLlmReply[]) => {
      script.push(...replies);
    },
    transcriptions: {
      requests: transcriptionRequests,
      /** The transcript answered whenever these exact audio bytes are uploaded. */
      register: (audio: Uint8Array, transcript: FakeTranscript) => {
        transcripts.set(sha256(audio), transcript);
      },
      /** One-off replies, used in order before the registered transcripts. */
      script: (...replies: FakeTranscriptionReply[]) => {
        transcriptionScript.push(...replies);
      },
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The `image_url` parts of chat messages (OpenAI's vision content parts). */
function imageUrlsOf(messages: unknown): string[] {
  if (!Array.isArray(messages)) return [];
  const urls: string[] = [];
  for (const m of messages) {
    if (typeof m !== "object" || m === null || !("content" in m) || !Array.isArray(m.content)) continue;
    for (const part of m.content) {
      if (
        typeof part === "object" &&
        part !== null &&
        "type" in part &&
        part.type === "image_url" &&
        "image_url" in part &&
        typeof part.image_url === "object" &&
        part.image_url !== null &&
        "url" in part.image_url &&
        typeof part.image_url.url === "string"
      )
        urls.push(part.image_url.url);
    }
  }
  return urls;
}

/** OpenAI's error bodies. */
export const openAiErrors = {
  serverError: {
    status: 500,
    body: {
      error: {
        message: "The server had an error while processing your request.",
        type: "server_error",
        param: null,
        code: null,
      },
    },
  },
  rateLimited: {
    status: 429,
    body: {
      error: {
        message: "Rate limit reached for requests",
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
      },
    },
  },
} as const;

/** A 429 as OpenAI sends it when it says how long to wait (`retry-after`, in seconds). */
export function rateLimitedFor(retryAfterSec: number) {
  return { ...openAiErrors.rateLimited, headers: { "retry-after": String(retryAfterSec) } };
}
