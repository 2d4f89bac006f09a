import { z } from "zod";
import { createOpenAiClient } from "../llm/createOpenAiClient.ts";

const embeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

/**
 * Embeddings from an OpenAI-compatible endpoint (`POST /embeddings`: OpenAI, Ollama, vLLM, a local
 * server): texts in, one vector per text, in order. Bounded by `timeoutMs`; the answer is parsed
 * and must hold exactly one vector per text, or the call throws (the caller falls back to keywords).
 */
export function createEmbedder(options: {
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
}): (texts: string[]) => Promise<number[][]> {
  const client = createOpenAiClient({ ...options, maxRetries: 1 });
  return async (texts) => {
    if (texts.length === 0) return [];
    const raw: unknown = await client.embeddings.create({ model: options.model, input: texts });
    const parsed = embeddingsSchema.parse(raw);
    const vectors: number[][] = [];
    for (const item of parsed.data) vectors[item.index] = item.embedding;
    if (vectors.length !== texts.length || vectors.some((v) => v === undefined || v.length === 0))
      throw new Error(`embeddings: ${texts.length} texts, ${parsed.data.length} vectors`);
    return vectors;
  };
}
