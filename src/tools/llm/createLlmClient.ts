import type OpenAI from "openai";
import pLimit from "p-limit";
import { z } from "zod";
import { afterCall, type Breaker, type BreakerConfig, beforeCall, closedBreaker } from "./circuitBreaker.ts";
import { createOpenAiClient } from "./createOpenAiClient.ts";

export type LlmTool = { name: string; description: string; schema: z.ZodObject };
export type ChatMessage = { role: "system" | "user" | "assistant"; content: string };
export type ToolCall = { name: string; args: Record<string, unknown> };
export type Usage = { promptTokens: number; completionTokens: number };

export type LlmResult =
  | { ok: true; text: string; toolCalls: ToolCall[]; ignoredCalls: number; usage: Usage }
  | { ok: false; reason: "circuit_open" | "timeout" | "error"; detail: string; usage: Usage };

export type LlmClientOptions = {
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  breaker: BreakerConfig;
  /** Calls in flight at once in this process (LLM_MAX_CONCURRENCY); more wait their turn. */
  maxConcurrency?: number;
  /** How long a call may wait for a free slot before it gives up (default: timeoutMs). */
  slotWaitMs?: number;
  now?: () => number;
};

export type LlmClient = {
  /** One interpretation call with tool calling; never throws: failures come back as results. */
  callWithTools: (input: {
    messages: ChatMessage[];
    tools: LlmTool[];
    temperature?: number;
    maxTokens?: number;
  }) => Promise<LlmResult>;
  breaker: () => Breaker;
  /** Calls in flight now and calls waiting for a slot (for metrics and the benchmark). */
  load: () => { active: number; waiting: number };
};

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullable().optional(),
          tool_calls: z.array(z.unknown()).nullable().optional(),
        }),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).optional(),
});

/**
 * OpenAI-compatible chat completions with function calling (OpenAI, Groq, OpenRouter, vLLM,
 * Ollama: only the base URL and model change). Tool arguments are validated with the tool's zod
 * schema; invalid ones are sent back once with the validation error for repair, then ignored.
 * Each call is bounded by `timeoutMs` (no SDK retries: the turn's own budget decides), and the
 * circuit breaker sends turns straight to degraded mode while the provider keeps failing.
 */
export function createLlmClient(options: LlmClientOptions): LlmClient {
  const openai = createOpenAiClient(options);
  const now = options.now ?? Date.now;
  let breaker = closedBreaker;
  const limit = pLimit(options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY);
  // A 429 pauses every conversation's calls (one provider quota): until then they fail fast and
  // their turns answer in degraded mode instead of piling more requests onto the limit.
  let pausedUntil = 0;
  let pauseMs = 0;

  async function complete(
    messages: OpenAI.Chat.ChatCompletionMessageParam[],
    tools: LlmTool[],
    temperature?: number,
    maxTokens?: number,
  ) {
    const raw = await openai.chat.completions.create(
      {
        model: options.model,
        messages,
        tools: tools.map((t) => ({
          type: "function" as const,
          function: { name: t.name, description: t.description, parameters: z.toJSONSchema(t.schema) },
        })),
        ...(temperature === undefined ? {} : { temperature }),
        ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }),
      },
      { signal: AbortSignal.timeout(options.timeoutMs) },
    );
    return completionSchema.parse(raw);
  }

  return {
    breaker: () => breaker,
    load: () => ({ active: limit.activeCount, waiting: limit.pendingCount }),
    callWithTools: (input) => withinDeadline(input),
  };

  /**
   * A call waits for a free slot no longer than slotWaitMs (LLM_TIMEOUT_MS): past that the turn
   * answers in degraded mode, and the queued call is skipped when its slot comes.
   */
  async function withinDeadline(input: Parameters<LlmClient["callWithTools"]>[0]): Promise<LlmResult> {
    const late: LlmResult = {
      ok: false,
      reason: "timeout",
      detail: "no free LLM slot in time",
      usage: { promptTokens: 0, completionTokens: 0 },
    };
    const enqueued = Date.now();
    const maxWait = options.slotWaitMs ?? options.timeoutMs;
    let gotSlot = false;
    const run = limit(async () => {
      if (Date.now() - enqueued >= maxWait) return late;
      gotSlot = true;
      return call(input);
    });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<"deadline">((resolve) => {
      timer = setTimeout(() => resolve("deadline"), maxWait);
    });
    const first = await Promise.race([run, waited]);
    clearTimeout(timer);
    if (first !== "deadline") return first;
    // Once the call has its slot, its own timeout bounds it: the deadline only covers the wait.
    return gotSlot ? run : late;
  }

  async function call({
    messages,
    tools,
    temperature,
    maxTokens,
  }: Parameters<LlmClient["callWithTools"]>[0]): Promise<LlmResult> {
    const usage: Usage = { promptTokens: 0, completionTokens: 0 };
    if (now() < pausedUntil) {
      // An open breaker says so; otherwise the provider asked us to wait.
      const reason = breaker.status === "open" ? "circuit_open" : "error";
      return { ok: false, reason, detail: "LLM rate limited; backing off", usage };
    }
    const gate = beforeCall(breaker, now(), options.breaker);
    breaker = gate.breaker;
    if (!gate.allow) return { ok: false, reason: "circuit_open", detail: "LLM circuit open", usage };
    try {
      const conversation: OpenAI.Chat.ChatCompletionMessageParam[] = messages.map((m) => ({ ...m }));
      let first = await complete(conversation, tools, temperature, maxTokens);
      addUsage(usage, first.usage);
      let { valid, invalid } = validateCalls(first.choices[0]?.message.tool_calls ?? [], tools);
      let ignoredCalls = 0;
      if (invalid.length > 0) {
        // One repair round: show the model its call and exactly what was wrong with it.
        conversation.push({
          role: "assistant",
          content: first.choices[0]?.message.content ?? null,
          tool_calls: invalid.map((c) => ({
            id: c.id,
            type: "function",
            function: { name: c.name, arguments: c.raw },
          })),
        });
        for (const c of invalid)
          conversation.push({
            role: "tool",
            tool_call_id: c.id,
            content: `Invalid arguments: ${c.error}. Call the tool again with valid arguments.`,
          });
        const repaired = await complete(conversation, tools, temperature, maxTokens);
        addUsage(usage, repaired.usage);
        const second = validateCalls(repaired.choices[0]?.message.tool_calls ?? [], tools);
        // The repaired answer may repeat calls that were already valid: keep one of each.
        const seen = new Set(valid.map((c) => JSON.stringify(c)));
        valid = [...valid, ...second.valid.filter((c) => !seen.has(JSON.stringify(c)))];
        ignoredCalls = second.invalid.length;
        first = repaired;
        invalid = second.invalid;
      }
      breaker = afterCall(breaker, true, now(), options.breaker);
      pauseMs = 0;
      return {
        ok: true,
        text: first.choices[0]?.message.content ?? "",
        toolCalls: valid,
        ignoredCalls,
        usage,
      };
    } catch (err) {
      if (rateLimited(err)) {
        pauseMs = Math.min(Math.max(pauseMs * 2, MIN_PAUSE_MS), MAX_PAUSE_MS);
        pausedUntil = now() + Math.max(retryAfterMs(err) ?? 0, pauseMs);
      }
      breaker = afterCall(breaker, false, now(), options.breaker);
      const timeout =
        err instanceof Error &&
        (err.name === "TimeoutError" ||
          err.name === "APIConnectionTimeoutError" ||
          /timed? ?out|aborted/i.test(err.message));
      return {
        ok: false,
        reason: timeout ? "timeout" : "error",
        detail: err instanceof Error ? err.message : String(err),
        usage,
      };
    }
  }
}

/** Default LLM_MAX_CONCURRENCY: well inside a paid provider's rate limits, far above a worker's. */
const DEFAULT_MAX_CONCURRENCY = 256;
const MIN_PAUSE_MS = 1000;
const MAX_PAUSE_MS = 60_000;

const rateLimited = (err: unknown) =>
  typeof err === "object" && err !== null && "status" in err && err.status === 429;

/** The provider's Retry-After, in milliseconds, when it sent one. */
function retryAfterMs(err: unknown): number | undefined {
  const headers = typeof err === "object" && err !== null && "headers" in err ? err.headers : undefined;
  const value = headers instanceof Headers ? headers.get("retry-after") : undefined;
  const seconds = value ? Number(value) : Number.NaN;
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

type Invalid = { id: string; name: string; raw: string; error: string };

function validateCalls(calls: unknown[], tools: LlmTool[]): { valid: ToolCall[]; invalid: Invalid[] } {
  const valid: ToolCall[] = [];
  const invalid: Invalid[] = [];
  for (const raw of calls) {
    const call = toolCallSchema.safeParse(raw);
    if (!call.success) continue;
    const { id, function: fn } = call.data;
    const tool = tools.find((t) => t.name === fn.name);
    if (!tool) {
      invalid.push({ id, name: fn.name, raw: fn.arguments, error: `unknown tool ${fn.name}` });
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(fn.arguments);
    } catch {
      invalid.push({ id, name: fn.name, raw: fn.arguments, error: "arguments are not valid JSON" });
      continue;
    }
    const args = tool.schema.safeParse(json);
    if (args.success) valid.push({ name: fn.name, args: args.data });
    else
      invalid.push({
        id,
        name: fn.name,
        raw: fn.arguments,
        error: args.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      });
  }
  return { valid, invalid };
}

function addUsage(total: Usage, u: { prompt_tokens: number; completion_tokens: number } | undefined): void {
  if (!u) return;
  total.promptTokens += u.prompt_tokens;
  total.completionTokens += u.completion_tokens;
}
