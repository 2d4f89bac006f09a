import { createHmac, timingSafeEqual } from "node:crypto";

const HEADER_PATTERN = /^sha256=([0-9a-f]{64})$/i;

export type SignatureCheck = { ok: true; matched: "raw" | "escaped" } | { ok: false; reason: string };

/**
 * Checks Meta's `X-Hub-Signature-256` over the exact bytes received, in constant time.
 * Meta documents (for Messenger) signing an escaped-unicode form of the payload; if the raw bytes
 * do not match and the body has non-ASCII bytes, the `\uXXXX`-escaped form is tried once.
 */
export function verifySignature(
  rawBody: Buffer,
  header: string | undefined,
  appSecret: string,
): SignatureCheck {
  if (!header) return { ok: false, reason: "missing signature header" };
  const match = HEADER_PATTERN.exec(header.trim());
  if (!match?.[1]) return { ok: false, reason: "malformed signature header" };
  const expected = Buffer.from(match[1].toLowerCase(), "hex");
  if (equalsHmac(rawBody, expected, appSecret)) return { ok: true, matched: "raw" };
  if (hasNonAscii(rawBody)) {
    const escaped = Buffer.from(escapeUnicode(rawBody.toString("utf8")), "utf8");
    if (equalsHmac(escaped, expected, appSecret)) return { ok: true, matched: "escaped" };
  }
  return { ok: false, reason: "signature mismatch" };
}

export function signBody(body: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
}

function equalsHmac(body: Buffer, expected: Buffer, secret: string): boolean {
  const actual = createHmac("sha256", secret).update(body).digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function hasNonAscii(buf: Buffer): boolean {
  for (const byte of buf) if (byte > 0x7f) return true;
  return false;
}

/** Lowercase `\uXXXX` per UTF-16 unit for everything outside ASCII, as Meta's signer does. */
export function escapeUnicode(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += code > 0x7f ? `\\u${code.toString(16).padStart(4, "0")}` : text[i];
  }
  return out;
}
