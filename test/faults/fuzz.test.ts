import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { signBody } from "../../src/webhook/verifySignature.ts";
import { startTestService, TEST_APP_SECRET, type TestService } from "../helpers/startTestService.ts";

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const FIXTURES = new URL("../../../shared/fixtures/meta-webhooks/", import.meta.url);
const fixtures: unknown[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json"))
  .flatMap((f) =>
    Object.values(JSON.parse(readFileSync(new URL(f, FIXTURES), "utf8")) as Record<string, unknown>),
  );

let svc: TestService;
before(async () => {
  // Long debounce: the fuzz is about intake; turns for fuzzed conversations are not the subject here.
  svc = await startTestService({ TURN_DEBOUNCE_MS: "600000", WEBHOOK_MAX_BODY_BYTES: "262144" });
});
after(async () => {
  await svc.stop();
});

/** Replaces the value at a random path of a fixture with arbitrary JSON (wrong types, nesting, huge strings). */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== "object") return replacement;
  const [head = 0, ...rest] = path;
  if (Array.isArray(value)) {
    if (value.length === 0) return [replacement];
    const i = head % value.length;
    return value.map((v, j) => (j === i ? mutate(v, rest, replacement) : v));
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return { k: replacement };
  const i = head % entries.length;
  return Object.fromEntries(entries.map(([k, v], j) => [k, j === i ? mutate(v, rest, replacement) : v]));
}

const weirdJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.integer(),
  fc.constantFrom(null, true, [], {}, "", "\u0000", "wamid.", -1, 1e308),
  fc.integer({ min: 1000, max: 400_000 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 10, max: 200 }).map((d) => JSON.parse(`${"[".repeat(d)}${"]".repeat(d)}`)),
);

const mutatedFixture = fc
  .tuple(fc.constantFrom(...fixtures), fc.array(fc.nat(), { maxLength: 8 }), weirdJson)
  .map(([f, path, v]) => Buffer.from(JSON.stringify(mutate(f, path, v))));

const rawBodies = fc.oneof(
  { weight: 5, arbitrary: mutatedFixture },
  { weight: 2, arbitrary: weirdJson.map((v) => Buffer.from(JSON.stringify(v) ?? "null")) },
  // Invalid UTF-8 spliced into a real body.
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        mutatedFixture,
        fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(b.map((x) => x | 0x80))),
      )
      .map(([body, junk]) =>
        Buffer.concat([body.subarray(0, body.length >> 1), junk, body.subarray(body.length >> 1)]),
      ),
  },
  // Duplicate keys (JSON.parse keeps the last one).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...fixtures), fc.jsonValue({ maxDepth: 2 }))
      .map(([f, v]) => Buffer.from(`{"object":${JSON.stringify(v)},${JSON.stringify(f).slice(1)}`)),
  },
  // Truncated or garbage bytes.
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 64, max: 3000 })
      .map((d) => Buffer.from(`${'{"a":'.repeat(d)}1${"}".repeat(d)}`)),
  },
);

test(`fuzz: ${RUNS} generated bodies, valid and invalid signatures — no crash, no 5xx, nothing stored unsigned`, async () => {
  const before = await svc.db.query<{ n: number }>("select count(*)::int as n from webhook_events");
  let signedOk = 0;
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(rawBodies, fc.constantFrom("valid", "wrong", "missing", "garbage"), async (raw, sig) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (sig === "valid") headers["x-hub-signature-256"] = signBody(raw, TEST_APP_SECRET);
      if (sig === "wrong") headers["x-hub-signature-256"] = signBody(raw, "not-the-secret");
      if (sig === "garbage") headers["x-hub-signature-256"] = `sha256=${raw.subarray(0, 32).toString("hex")}`;
      const res = await fetch(`${svc.url}/webhook`, { method: "POST", headers, body: raw });
      await res.arrayBuffer();
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      if (sig === "valid") {
        assert.ok([200, 400, 413].includes(res.status), `valid signature answered ${res.status}`);
        if (res.status === 200) signedOk++;
      } else {
        assert.ok([401, 413].includes(res.status), `bad signature answered ${res.status}`);
      }
    }),
    { numRuns: RUNS },
  );
  const afterCount = await svc.db.query<{ n: number }>("select count(*)::int as n from webhook_events");
  console.log(`fuzz: ${RUNS} bodies, answers ${JSON.stringify(Object.fromEntries(seen))}`);
  assert.equal(
    (afterCount.rows[0]?.n ?? 0) - (before.rows[0]?.n ?? 0),
    signedOk,
    "stored exactly the accepted ones",
  );
  assert.equal((await fetch(`${svc.url}/healthz`)).status, 200, "still alive");
  assert.equal((await fetch(`${svc.url}/readyz`)).status, 200, "still ready");
});
