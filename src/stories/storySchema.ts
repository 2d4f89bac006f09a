import { isMap } from "yaml";
import { z } from "zod";
import { lineOf } from "../content/parseAgent.ts";
import { readYaml } from "../content/readYaml.ts";

/**
 * The story file format of ../shared/docs/stories.md (the contract: stories from outside the
 * project must run unchanged). Unknown keys are errors with `file:line`.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const expectSchema = z.strictObject({
  reply_contains: z.array(z.string()).optional(),
  reply_not_contains: z.array(z.string()).optional(),
  reply_matches: z.string().optional(),
  replies: z.number().int().min(0).optional(),
  replies_max: z.number().int().min(0).optional(),
  no_reply: z.boolean().optional(),
  buttons: z.array(z.string()).optional(),
  template: z.string().optional(),
  state: z.string().optional(),
  slots: z.record(z.string(), scalar).optional(),
  slots_absent: z.array(z.string()).optional(),
  handoff: z.boolean().optional(),
  lead: z.record(z.string(), scalar).optional(),
  opted_out: z.boolean().optional(),
});
export type Expectations = z.infer<typeof expectSchema>;

const userSchema = z.union([
  z.string(),
  z.strictObject({ image: z.string(), caption: z.string().optional() }),
  z.strictObject({ document: z.string(), filename: z.string().optional(), caption: z.string().optional() }),
  z.strictObject({ audio: z.string() }),
  z.strictObject({ button: z.string() }),
  z.strictObject({ list: z.string() }),
  z.strictObject({
    location: z.strictObject({ latitude: z.number(), longitude: z.number(), name: z.string().optional() }),
  }),
]);
export type UserInput = z.infer<typeof userSchema>;

const duration = z.string().regex(/^\d+(\.\d+)?\s*[smhd]$/, 'a duration like "30s", "10m", "25h" or "2d"');

const stepSchemas = {
  user: z.strictObject({ user: userSchema, expect: expectSchema.optional() }),
  wait: z.strictObject({ wait: duration, expect: expectSchema.optional() }),
  duplicate: z.strictObject({ duplicate: z.literal(true), expect: expectSchema.optional() }),
  burst: z.strictObject({ burst: z.array(z.string()).min(1), expect: expectSchema.optional() }),
  operator: z.strictObject({ operator: z.string().min(1), expect: expectSchema.optional() }),
} as const;
type StepKind = keyof typeof stepSchemas;
export type Step = {
  [K in StepKind]: z.infer<(typeof stepSchemas)[K]> & { kind: K; line: number };
}[StepKind];

const storySchema = z.strictObject({
  name: z.string().min(1),
  agent: z.string().optional(),
  contact: z.strictObject({ wa_id: z.string().regex(/^\d{8,15}$/), name: z.string().optional() }).optional(),
  llm: z.enum(["offline", "recorded", "live"]).default("offline"),
  start: z.iso.datetime({ offset: true }).default("2026-01-05T10:00:00-03:00"),
  steps: z.array(z.unknown()).min(1),
  expect: expectSchema.optional(),
});

export type Story = Omit<z.infer<typeof storySchema>, "steps"> & {
  file: string;
  line: number;
  steps: Step[];
  /** Line of the story-level expect block (for reports). */
  expectLine: number;
};

/** Pure: YAML text → story, or every problem as `file:line: message`. */
export function parseStory(
  text: string,
  file: string,
): { ok: true; story: Story } | { ok: false; problems: string[] } {
  const read = readYaml(text, file);
  if (!read.ok) return read;
  const { doc, lineCounter } = read;
  const at = (path: PropertyKey[]) => `${file}:${lineOf(doc, path, lineCounter)}`;
  const describe = (issue: z.core.$ZodIssue, prefix: PropertyKey[]) => {
    const path = [...prefix, ...issue.path];
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
    // Point at the unknown key itself, not at its parent map.
    const where = keys[0] !== undefined ? at([...path, keys[0]]) : at(path);
    return `${where}: ${path.join(".") || "story"}: ${issue.message}`;
  };
  const raw: unknown = doc.toJS();
  const parsed = storySchema.safeParse(raw);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map((i) => describe(i, []));
  const steps: Step[] = [];
  // Steps are checked even when the top level has problems: every error is reported at once.
  const rawSteps =
    raw && typeof raw === "object" && "steps" in raw && Array.isArray(raw.steps) ? raw.steps : [];
  rawSteps.forEach((raw: unknown, i: number) => {
    const path = ["steps", i];
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      problems.push(
        `${at(path)}: steps.${i}: a step is a map with one of ${Object.keys(stepSchemas).join(", ")}`,
      );
      return;
    }
    const kinds = Object.keys(raw).filter((k): k is StepKind => k in stepSchemas);
    if (kinds.length !== 1) {
      const unknown = Object.keys(raw).filter((k) => !(k in stepSchemas) && k !== "expect");
      problems.push(
        unknown.length > 0
          ? `${at([...path, unknown[0] ?? ""])}: steps.${i}: unknown key "${unknown[0]}" (a step is one of ${Object.keys(stepSchemas).join(", ")}, with an optional expect)`
          : `${at(path)}: steps.${i}: a step is exactly one of ${Object.keys(stepSchemas).join(", ")} (found ${kinds.join(", ") || "none"})`,
      );
      return;
    }
    const line = lineOf(doc, path, lineCounter);
    const step = parseStep(kinds[0], raw, line);
    if (step.ok) steps.push(step.step);
    else problems.push(...step.issues.map((issue) => describe(issue, path)));
  });
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  const root = doc.contents;
  const hasExpect = isMap(root) && root.has("expect");
  return {
    ok: true,
    story: {
      ...parsed.data,
      file,
      line: 1,
      steps,
      expectLine: hasExpect ? lineOf(doc, ["expect"], lineCounter) : 1,
    },
  };
}

function parseStep(
  kind: StepKind | undefined,
  raw: object,
  line: number,
): { ok: true; step: Step } | { ok: false; issues: z.core.$ZodIssue[] } {
  const fail = (e: z.ZodError) => ({ ok: false as const, issues: e.issues });
  switch (kind) {
    case "user": {
      const r = stepSchemas.user.safeParse(raw);
      return r.success ? { ok: true, step: { ...r.data, kind, line } } : fail(r.error);
    }
    case "wait": {
      const r = stepSchemas.wait.safeParse(raw);
      return r.success ? { ok: true, step: { ...r.data, kind, line } } : fail(r.error);
    }
    case "duplicate": {
      const r = stepSchemas.duplicate.safeParse(raw);
      return r.success ? { ok: true, step: { ...r.data, kind, line } } : fail(r.error);
    }
    case "burst": {
      const r = stepSchemas.burst.safeParse(raw);
      return r.success ? { ok: true, step: { ...r.data, kind, line } } : fail(r.error);
    }
    case "operator": {
      const r = stepSchemas.operator.safeParse(raw);
      return r.success ? { ok: true, step: { ...r.data, kind, line } } : fail(r.error);
    }
    default:
      return { ok: false, issues: [] };
  }
}

export { parseDuration } from "../shared/parseDuration.ts";
