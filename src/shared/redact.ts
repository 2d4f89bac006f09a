/**
 * Masks personal data and secrets inside free text before it reaches a log line: phone numbers
 * (10–15 digits, optionally with +), CPF (###.###.###-##), bearer tokens, Meta access tokens and
 * long hex secrets (32 characters and more).
 */
const PATTERNS: [RegExp, string][] = [
  [/\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b/g, "[cpf]"],
  [/\+?\b\d{10,15}\b/g, "[phone]"],
  [/Bearer\s+[\w.~+/=-]+/gi, "Bearer [token]"],
  [/\bEAA[\w]{20,}\b/g, "[token]"],
  // Long hex strings: generated secrets and tokens (ours are 48 hex characters).
  [/\b[0-9a-fA-F]{32,}\b/g, "[secret]"],
];

export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Keys whose values are always hidden, whatever they hold. */
export const SECRET_KEYS = new Set([
  "authorization",
  "access_token",
  "accessToken",
  "token",
  "appSecret",
  "app_secret",
  "password",
  "cpf",
  "x-hub-signature-256",
]);

/** Deep copy with secret keys hidden and every string passed through redactText. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { message: redactText(value.message), name: value.name };
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEYS.has(k) ? "[redacted]" : redactValue(v, depth + 1);
  return out;
}
