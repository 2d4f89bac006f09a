import type { Expectations } from "./storySchema.ts";

/** An outbound message as the customer reads it. */
export type SeenReply = { kind: string; text: string; buttons: string[]; template?: string };

export type Observed = {
  replies: SeenReply[];
  state: string | undefined;
  slots: Record<string, unknown>;
  handoff: boolean;
  /** The persisted lead (its slots, outcome and contact), when there is one. */
  lead: Record<string, unknown> | undefined;
  optedOut: boolean;
};

export type CheckResult = { key: string; ok: boolean; expected: unknown; actual: unknown; message?: string };

/** Case- and accent-insensitive comparison form ("Não" and "nao" are equal); punctuation kept. */
export function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

function sameValue(expected: unknown, actual: unknown): boolean {
  if (actual === undefined || actual === null) return false;
  const en = typeof expected === "number" ? expected : Number.NaN;
  const an = typeof actual === "number" ? actual : typeof actual === "string" ? Number(actual) : Number.NaN;
  if (!Number.isNaN(en) && !Number.isNaN(an)) {
    // Numbers equal within 1% (a bill of 450 read as 449.90 passes).
    return Math.abs(en - an) <= Math.abs(en) * 0.01 + 1e-9;
  }
  if (typeof expected === "boolean" || typeof actual === "boolean") return expected === actual;
  return fold(String(expected)) === fold(String(actual));
}

/**
 * Pure: every expectation of a step (or of the whole story) against what was observed. The
 * message keys look at `observed.replies` — the step's, or the whole conversation's at story level.
 */
export function checkExpectations(expect: Expectations, observed: Observed): CheckResult[] {
  const results: CheckResult[] = [];
  const add = (key: string, ok: boolean, expected: unknown, actual: unknown, message?: string) =>
    results.push({ key, ok, expected, actual, ...(message ? { message } : {}) });
  const texts = observed.replies.map((r) => r.text);
  const joined = fold(texts.join("\n"));
  for (const s of expect.reply_contains ?? []) {
    add("reply_contains", joined.includes(fold(s)), s, texts, `a reply containing "${s}"`);
  }
  for (const s of expect.reply_not_contains ?? []) {
    add("reply_not_contains", !joined.includes(fold(s)), s, texts, `no reply containing "${s}"`);
  }
  if (expect.reply_matches !== undefined) {
    const re = new RegExp(expect.reply_matches, "iu");
    add(
      "reply_matches",
      observed.replies.some((r) => re.test(r.text) || re.test(fold(r.text))),
      expect.reply_matches,
      texts,
      `a reply matching /${expect.reply_matches}/`,
    );
  }
  if (expect.replies !== undefined)
    add(
      "replies",
      texts.length === expect.replies,
      expect.replies,
      texts.length,
      `${expect.replies} replies`,
    );
  if (expect.replies_max !== undefined)
    add(
      "replies_max",
      texts.length <= expect.replies_max,
      expect.replies_max,
      texts.length,
      `at most ${expect.replies_max} replies`,
    );
  if (expect.no_reply !== undefined)
    add(
      "no_reply",
      (texts.length === 0) === expect.no_reply,
      expect.no_reply,
      texts,
      expect.no_reply ? "no reply" : "some reply",
    );
  if (expect.buttons !== undefined) {
    const last = observed.replies.at(-1);
    const offered = (last?.buttons ?? []).map(fold);
    add(
      "buttons",
      last !== undefined && last.buttons.length > 0 && expect.buttons.every((b) => offered.includes(fold(b))),
      expect.buttons,
      last?.buttons ?? [],
      `the last reply offers ${expect.buttons.join(", ")}`,
    );
  }
  if (expect.template !== undefined) {
    const names = observed.replies.flatMap((r) => (r.template ? [r.template] : []));
    add(
      "template",
      names.includes(expect.template),
      expect.template,
      names,
      `template ${expect.template} sent`,
    );
  }
  if (expect.state !== undefined)
    add("state", observed.state === expect.state, expect.state, observed.state, `state ${expect.state}`);
  for (const [slot, value] of Object.entries(expect.slots ?? {})) {
    add(`slots.${slot}`, sameValue(value, observed.slots[slot]), value, observed.slots[slot]);
  }
  for (const slot of expect.slots_absent ?? []) {
    add(`slots_absent.${slot}`, observed.slots[slot] === undefined, undefined, observed.slots[slot]);
  }
  if (expect.handoff !== undefined)
    add("handoff", observed.handoff === expect.handoff, expect.handoff, observed.handoff);
  for (const [field, value] of Object.entries(expect.lead ?? {})) {
    add(
      `lead.${field}`,
      observed.lead !== undefined && sameValue(value, observed.lead[field]),
      value,
      observed.lead === undefined ? "(no lead)" : observed.lead[field],
    );
  }
  if (expect.opted_out !== undefined)
    add("opted_out", observed.optedOut === expect.opted_out, expect.opted_out, observed.optedOut);
  return results;
}

/** One line for a failed check: what was expected and what was there. */
export function describeFailure(r: CheckResult): string {
  const actual = JSON.stringify(r.actual);
  return `${r.message ?? `${r.key} = ${JSON.stringify(r.expected)}`} expected; got ${actual && actual.length > 300 ? `${actual.slice(0, 300)}…` : actual}`;
}
