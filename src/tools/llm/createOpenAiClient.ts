import OpenAI from "openai";

/**
 * The `openai` SDK pointed at any OpenAI-compatible provider (OpenAI, Groq, OpenRouter, vLLM,
 * Ollama, a local Whisper server). Bounded by `timeoutMs`; no SDK retries unless asked, so each
 * caller decides (a turn's own budget, the queue's backoff).
 */
export function createOpenAiClient(options: {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
  maxRetries?: number;
}): OpenAI {
  return new OpenAI({
    baseURL: options.baseUrl,
    // The SDK refuses to start without a key; a local server that needs none ignores the header.
    apiKey: options.apiKey ?? "unused",
    maxRetries: options.maxRetries ?? 0,
    timeout: options.timeoutMs,
  });
}
