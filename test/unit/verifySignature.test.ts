import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ESCAPED_FALLBACK_MAX_BYTES,
  escapeUnicode,
  isSignatureHeader,
  signBody,
  verifySignature,
} from "../../src/webhook/verifySignature.ts";

// Known vector from whatsapp-api-js's test suite (Secreto31126/whatsapp-api-js test/index.test.js):
// Meta signs an escaped-unicode form; the raw-UTF-8 HMAC of the same body is the second value
// (measured in ../shared/docs/whatsapp-cloud-api.md §9).
const SECRET = "YOUR_APP_SECRET";
const BODY =
  "Let's pretend this body is equal to the message object and can handle unicode characters like みどりいろ and J'ai mangé des pâtes";
const ESCAPED_SIG = "sha256=0363007aabdf1ab579f35936651a460fb5fa1aaf40df98b1264446b72cc96688";
const RAW_SIG = "sha256=5ab50fefd5b7b7258964d9825904e7916acb73fe8030123871485627791ffbde";

test("known vector: signature over the escaped-unicode form verifies", () => {
  assert.deepEqual(verifySignature(Buffer.from(BODY), ESCAPED_SIG, SECRET), { ok: true, matched: "escaped" });
});

test("known vector: signature over the raw UTF-8 bytes verifies", () => {
  assert.deepEqual(verifySignature(Buffer.from(BODY), RAW_SIG, SECRET), { ok: true, matched: "raw" });
  assert.equal(signBody(BODY, SECRET), RAW_SIG);
});

test("header case of the hex does not matter", () => {
  assert.equal(
    verifySignature(Buffer.from(BODY), RAW_SIG.toUpperCase().replace("SHA256", "sha256"), SECRET).ok,
    true,
  );
});

test("tampered bodies fail: one byte changed, appended, removed, re-serialised", () => {
  const json = JSON.stringify({ a: "x/y", text: "mangé" });
  const sig = signBody(json, SECRET);
  assert.equal(verifySignature(Buffer.from(json), sig, SECRET).ok, true);
  for (const tampered of [
    json.replace("x/y", "x/z"),
    `${json} `,
    json.slice(0, -1),
    json.replace("/", "\\/"),
  ]) {
    assert.deepEqual(verifySignature(Buffer.from(tampered), sig, SECRET), {
      ok: false,
      reason: "signature mismatch",
    });
  }
});

test("wrong secret, missing or malformed headers fail closed", () => {
  const sig = signBody(BODY, SECRET);
  assert.equal(verifySignature(Buffer.from(BODY), sig, "other").ok, false);
  for (const header of [
    undefined,
    "",
    "sha256=",
    "sha1=abcd",
    `sha256=${"g".repeat(64)}`,
    `sha256=${"a".repeat(63)}`,
  ]) {
    assert.equal(verifySignature(Buffer.from(BODY), header, SECRET).ok, false, String(header));
  }
});

test("escapeUnicode writes lowercase \\u escapes per UTF-16 unit", () => {
  assert.equal(escapeUnicode("äö😀a"), "\\u00e4\\u00f6\\ud83d\\ude00a");
});

test("the escaped-unicode fallback is tried only for bodies up to ESCAPED_FALLBACK_MAX_BYTES", () => {
  const body = (bytes: number) => `{"text":"${"é".repeat(Math.ceil(bytes / 2))}"}`;
  const small = body(1000);
  const escapedSig = signBody(escapeUnicode(small), SECRET);
  assert.deepEqual(verifySignature(Buffer.from(small), escapedSig, SECRET), { ok: true, matched: "escaped" });
  // Past the cap, only the raw bytes count: a stranger's megabytes cost one HMAC.
  const big = body(ESCAPED_FALLBACK_MAX_BYTES + 10);
  assert.equal(verifySignature(Buffer.from(big), signBody(escapeUnicode(big), SECRET), SECRET).ok, false);
  assert.deepEqual(verifySignature(Buffer.from(big), signBody(big, SECRET), SECRET), {
    ok: true,
    matched: "raw",
  });
});

test("a missing or malformed header is recognised without the body", () => {
  assert.equal(isSignatureHeader(undefined), false);
  assert.equal(isSignatureHeader("sha1=abc"), false);
  assert.equal(isSignatureHeader(`sha256=${"0".repeat(63)}`), false);
  assert.equal(isSignatureHeader(`sha256=${"a".repeat(64)}`), true);
});
