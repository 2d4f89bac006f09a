/**
 * USD per million tokens (input, output) of common OpenAI-compatible models, so the daily cost
 * caps work out of the box (with prices of 0 they never triggered). Public list prices as of
 * late 2026; LLM_PRICE_INPUT_PER_MTOK / LLM_PRICE_OUTPUT_PER_MTOK override them.
 */
const KNOWN: [RegExp, number, number][] = [
  [/gpt-4o-mini/, 0.15, 0.6],
  [/gpt-4o/, 2.5, 10],
  [/gpt-4\.1-nano/, 0.1, 0.4],
  [/gpt-4\.1-mini/, 0.4, 1.6],
  [/gpt-4\.1/, 2, 8],
  [/gpt-5-nano/, 0.05, 0.4],
  [/gpt-5-mini/, 0.25, 2],
  [/gpt-5/, 1.25, 10],
  [/claude.*haiku/, 1, 5],
  [/claude.*sonnet/, 3, 15],
  [/gemini.*flash-lite/, 0.1, 0.4],
  [/gemini.*flash/, 0.3, 2.5],
  [/gemini.*pro/, 1.25, 10],
  [/llama|mistral|qwen|gemma|deepseek/, 0.2, 0.8],
];

/** An unknown model is priced like a large one: the cap must cap, erring on the side of spending less. */
const UNKNOWN: [number, number] = [3, 15];

/** The prices a model is counted at: as configured, else its list price, else a large model's. Pure. */
export function modelPrices(
  model: string,
  configured: { input?: number | undefined; output?: number | undefined },
): { input: number; output: number; known: boolean } {
  const found = KNOWN.find(([pattern]) => pattern.test(model.toLowerCase()));
  const [input, output] = found ? [found[1], found[2]] : UNKNOWN;
  return {
    input: configured.input ?? input,
    output: configured.output ?? output,
    known: found !== undefined || (configured.input !== undefined && configured.output !== undefined),
  };
}
