/** Deeper than any real webhook by far (Meta's nest about 8 levels). */
export const MAX_JSON_DEPTH = 64;

/**
 * Makes parsed JSON safe to store: PostgreSQL text and jsonb cannot hold U+0000, so NUL characters
 * in keys and strings become U+FFFD (the raw bytes are kept untouched elsewhere). Returns
 * undefined when the value nests deeper than `maxDepth`.
 */
export function sanitizeJson(value: unknown, maxDepth = MAX_JSON_DEPTH): unknown {
  const tooDeep = Symbol("too deep");
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") return v.includes("\u0000") ? v.replaceAll("\u0000", "\ufffd") : v;
    if (v === null || typeof v !== "object") return v;
    if (depth >= maxDepth) throw tooDeep;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k.replaceAll("\u0000", "\ufffd")] = walk(x, depth + 1);
    return out;
  };
  try {
    return walk(value, 0);
  } catch (err) {
    if (err === tooDeep) return undefined;
    throw err;
  }
}
