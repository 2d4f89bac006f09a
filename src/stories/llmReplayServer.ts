import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { z } from "zod";

/** One recorded exchange: a line of fixtures/llm/*.jsonl. */
const recordingSchema = z.object({
  key: z.string(),
  request: z.unknown(),
  status: z.number().int(),
  response: z.unknown(),
});
type Recording = z.infer<typeof recordingSchema>;

export type LlmReplay = {
  /** Base URL to give the service as LLM_BASE_URL. */
  baseUrl: string;
  /** Recordings made for a story go to `<fixturesDir>/<slug>.jsonl`. */
  setStory: (slug: string) => void;
  /** Keys of requests that had no recording since the last call (replay mode). */
  takeMisses: () => string[];
  /** Writes what was recorded (record mode); returns the files written. */
  save: () => Promise<string[]>;
  close: () => Promise<void>;
};

/** Stable JSON: object keys sorted, so the same request always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The recording key: a hash of the whole request except the model name, so a recording made
 * against one provider replays whatever LLM_MODEL the replaying machine has (CI has none).
 */
export function requestKey(body: unknown): string {
  const keyed =
    body && typeof body === "object" && !Array.isArray(body) ? { ...body, model: undefined } : body;
  return `sha256:${createHash("sha256").update(canonicalJson(keyed)).digest("hex")}`;
}

/**
 * An OpenAI-compatible endpoint on 127.0.0.1 for stories with `llm: recorded`. Replay: answers
 * `POST …/chat/completions` from fixtures/llm/*.jsonl, keyed by a hash of the whole request body,
 * so the real LLM client runs and CI needs no key; a request with no recording gets OpenAI's 500
 * error body and is reported as a miss. Record: forwards to the live provider and keeps the answers.
 */
export async function startLlmReplay(options: {
  fixturesDir: string;
  record?: { baseUrl: string; apiKey: string };
}): Promise<LlmReplay> {
  const known = new Map<string, Recording>();
  const files = await readdir(options.fixturesDir).catch(() => []);
  for (const name of files.filter((f) => f.endsWith(".jsonl")).sort()) {
    const lines = (await readFile(join(options.fixturesDir, name), "utf8")).split("\n");
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const parsed = recordingSchema.safeParse(JSON.parse(line));
      if (!parsed.success)
        throw new Error(
          `${join(options.fixturesDir, name)}:${i + 1}: not a recording (${parsed.error.issues[0]?.message})`,
        );
      known.set(parsed.data.key, parsed.data);
    });
  }
  let story = "story";
  let misses: string[] = [];
  const recorded = new Map<string, Recording[]>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(body));
        };
        if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
          reply(404, {
            error: { message: "Not found", type: "invalid_request_error", param: null, code: null },
          });
          return;
        }
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          reply(400, {
            error: { message: "invalid JSON", type: "invalid_request_error", param: null, code: null },
          });
          return;
        }
        const key = requestKey(body);
        if (options.record) {
          const upstream = await fetch(`${options.record.baseUrl.replace(/\/$/, "")}/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${options.record.apiKey}` },
            body: JSON.stringify(body),
          });
          const text = await upstream.text();
          let response: unknown = text;
          try {
            response = JSON.parse(text);
          } catch {
            // A non-JSON error page is kept as text.
          }
          if (upstream.ok) {
            const list = recorded.get(story) ?? [];
            list.push({ key, request: body, status: upstream.status, response });
            recorded.set(story, list);
          }
          reply(upstream.status, response);
          return;
        }
        const hit = known.get(key);
        if (!hit) {
          misses.push(key);
          reply(500, {
            error: {
              message: `no recording for request ${key} (run the story with --record against a live provider)`,
              type: "server_error",
              param: null,
              code: null,
            },
          });
          return;
        }
        reply(hit.status, hit.response);
      })().catch((err: unknown) => {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error: { message: String(err), type: "server_error", param: null, code: null } }),
        );
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    setStory: (slug) => {
      story = slug;
    },
    takeMisses: () => {
      const m = misses;
      misses = [];
      return m;
    },
    save: async () => {
      const written: string[] = [];
      if (recorded.size === 0) return written;
      await mkdir(options.fixturesDir, { recursive: true });
      for (const [slug, list] of recorded) {
        const file = join(options.fixturesDir, `${slug}.jsonl`);
        await writeFile(file, `${list.map((r) => JSON.stringify(r)).join("\n")}\n`);
        written.push(file);
      }
      return written;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
