import { isAscii } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

const HEADER_PATTERN = /^sha256=([0-9a-f]{64})$/i;

/**
 * The escaped-unicode fallback (below) costs a second HMAC over a longer copy of the body; it is
 * only tried for bodies up to this size. Meta's webhooks are a few kilobytes; a stranger's
 * megabytes of non-ASCII with a bogus signature then cost no more than ASCII ones.
 */
export const ESCAPED_FALLBACK_MAX_BYTES = 256 * 1024;

/** A present, well-formed `X-Hub-Signature-256` value: checked before the body is even read. */
export function isSignatureHeader(header: string | undefined): boolean {
  return header !== undefined && HEADER_PATTERN.test(header.trim());
}

export type SignatureCheck = { ok: true; matched: "raw" | "escaped" } | { ok: false; reason: string };

/**
 * Checks Meta's `X-Hub-Signature-256` over the exact bytes received, in constant time.
 * Meta documents (for Messenger) signing an escaped-unicode form of the payload; if the raw bytes
 * do not match and the body has non-ASCII bytes (and is at most ESCAPED_FALLBACK_MAX_BYTES), the
 * `\uXXXX`-escaped form is tried once.
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
  if (rawBody.length <= ESCAPED_FALLBACK_MAX_BYTES && !isAscii(rawBody)) {
    const escaped = escapedBytes(rawBody.toString("utf8"));
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

/** Lowercase `\uXXXX` per UTF-16 unit for everything outside ASCII, as Meta's signer does. */
export function escapeUnicode(text: string): string {
  return escapedBytes(text).toString("latin1");
}

const HEX = "0123456789abcdef";

/**
 * The escaped form written straight into one buffer (ASCII only, so its bytes are its UTF-8): a
 * character-by-character string concatenation made a bogus non-ASCII body cost 4× an ASCII one.
 */
function escapedBytes(text: string): Buffer {
  let wide = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) wide++;
  const out = Buffer.allocUnsafe(text.length + 5 * wide);
  let j = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x7f) {
      out[j++] = code;
      continue;
    }
    out[j++] = 0x5c; // backslash
    out[j++] = 0x75; // u
    for (let shift = 12; shift >= 0; shift -= 4) out[j++] = HEX.charCodeAt((code >> shift) & 0xf);
  }
  return out;
}
