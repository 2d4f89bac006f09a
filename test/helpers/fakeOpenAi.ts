import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeLlmReply =
  | { toolCalls?: { name: string; arguments: string }[]; content?: string }
  | { status: number; body: unknown }
  | { hangMs: number };

/**
 * A fake OpenAI-compatible chat completions server on 127.0.0.1: answers `POST /v1/chat/completions`
 * in OpenAI's response shape (choices, tool_calls, usage) or with OpenAI's error bodies, from a
 * script; records every request so tests can check what the client sent.
 */
export async function startFakeOpenAi() {
  const requests: { body: Record<string, unknown>; authorization: string | undefined }[] = [];
  const script: FakeLlmReply[] = [];
  let counter = 0;
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = "";
    req.on("data", (c) => {
      raw += String(c);
    });
    req.on("end", () => {
      if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: { message: "Not found", type: "invalid_request_error", param: null, code: null },
          }),
        );
        return;
      }
      requests.push({ body: JSON.parse(raw), authorization: req.headers.authorization });
      const next = script.shift() ?? { content: "ok" };
      if ("hangMs" in next) {
        setTimeout(() => {
          if (!res.destroyed) res.end();
        }, next.hangMs).unref();
        return;
      }
      if ("status" in next) {
        res.writeHead(next.status, { "content-type": "application/json" });
        res.end(JSON.stringify(next.body));
        return;
      }
      counter++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
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
          usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        }),
      );
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
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
