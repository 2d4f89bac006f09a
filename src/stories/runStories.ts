import { randomBytes, randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import { loadConfig } from "../config/loadConfig.ts";
import { loadContent } from "../content/loadContent.ts";
import { renderTemplate, type Template } from "../content/parseTemplate.ts";
import { startEmbeddedPostgres } from "../db/startEmbeddedPostgres.ts";
import type { Service } from "../main.ts";
import { storeSandboxMedia } from "../tools/media/storedMedia.ts";
import { signBody } from "../webhook/verifySignature.ts";
import {
  type CheckResult,
  checkExpectations,
  describeFailure,
  fold,
  type Observed,
  type SeenReply,
} from "./checkExpectations.ts";
import { type CustomerMessage, customerWebhook, mimeTypeOf, newWamid } from "./customerWebhook.ts";
import { type LlmReplay, startLlmReplay } from "./llmReplayServer.ts";
import { parseDuration, parseStory, type Step, type Story } from "./storySchema.ts";

export type StartService = (
  config: ReturnType<typeof loadConfig>,
  options: { logger: Logger; rootDir: string; contentDir: string; clock: () => Date },
) => Promise<Service>;

export type StoryRunOptions = {
  files: string[];
  /**
   * Where agents/ and prompts/ are, for every story. Without it each story uses the nearest folder
   * above it that has both (a story folder may carry its own agents), else the project root.
   */
  contentDir?: string;
  /** Project root (migrations/). */
  rootDir: string;
  /** A server to create throwaway databases on; without it an embedded PostgreSQL is started. */
  databaseUrl?: string;
  /** fixtures/llm: recordings replayed by `llm: recorded` stories. */
  fixturesDir: string;
  /** Refresh the recordings of `llm: recorded` stories against `live`. */
  record: boolean;
  /** The configured provider, for `llm: live` stories and --record. */
  live?: { baseUrl: string; apiKey: string; model: string };
  stepTimeoutMs: number;
  logger: Logger;
  startService: StartService;
  print: (line: string) => void;
};

export type StepReport = {
  line: number;
  kind: string;
  latencyMs: number;
  replies: SeenReply[];
  checks: CheckResult[];
};

export type StoryReport = {
  file: string;
  name: string;
  ok: boolean;
  /** The first failure: `file:line: what`. */
  failure?: string;
  steps: StepReport[];
  checks: CheckResult[];
};

const PHONE_NUMBER_BASE = 106540300000000;

/**
 * The story runner (../shared/docs/stories.md): starts the service on throwaway databases with the
 * sandbox WhatsApp and a fake clock, posts signed webhooks for every customer step, waits until the
 * conversation is idle, and checks expectations against what was really sent (the sandbox's
 * record of Graph requests) and stored. One service per LLM mode, stories run one after another.
 */
export async function runStories(options: StoryRunOptions): Promise<StoryReport[]> {
  const reports: StoryReport[] = [];
  const parsed: Story[] = [];
  for (const file of options.files) {
    const result = parseStory(await readFile(file, "utf8"), file);
    if (result.ok) parsed.push(result.story);
    else {
      const report: StoryReport = {
        file,
        name: file,
        ok: false,
        failure: result.problems.join("\n  "),
        steps: [],
        checks: [],
      };
      reports.push(report);
      printReport(options, report);
    }
  }
  if (parsed.length === 0) return reports;

  const embeddedDir = options.databaseUrl ? undefined : await mkdtemp(join(tmpdir(), "wa-stories-pg-"));
  const embedded = embeddedDir
    ? await chmod(embeddedDir, 0o755).then(() =>
        // As root the server runs as an unprivileged user, who must get through mkdtemp's 0700.
        startEmbeddedPostgres(embeddedDir, 56000 + randomInt(3000), options.logger),
      )
    : undefined;
  const serverUrl = options.databaseUrl ?? embedded?.connectionString ?? "";
  const created: string[] = [];
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const groups = new Map<string, { contentDir: string; mode: Story["llm"]; stories: Story[] }>();
    for (const story of parsed) {
      const contentDir = options.contentDir ?? contentDirFor(story.file, options.rootDir);
      const key = `${contentDir}\0${story.llm}`;
      const group = groups.get(key) ?? { contentDir, mode: story.llm, stories: [] };
      group.stories.push(story);
      groups.set(key, group);
    }
    for (const { contentDir, mode, stories } of groups.values()) {
      if ((mode === "live" || options.record) && mode !== "offline" && !options.live) {
        for (const story of stories) {
          const report: StoryReport = {
            file: story.file,
            name: story.name,
            ok: false,
            failure: `${story.file}:1: llm: ${mode}${options.record ? " with --record" : ""} needs a provider (LLM_BASE_URL, LLM_API_KEY, LLM_MODEL)`,
            steps: [],
            checks: [],
          };
          reports.push(report);
          printReport(options, report);
        }
        continue;
      }
      const database = `stories_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}_${mode}`;
      await admin.query(`create database ${database}`);
      created.push(database);
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      const replay =
        mode === "recorded"
          ? await startLlmReplay({
              fixturesDir: options.fixturesDir,
              ...(options.record && options.live
                ? { record: { baseUrl: options.live.baseUrl, apiKey: options.live.apiKey } }
                : {}),
            })
          : undefined;
      const clock = createFakeClock();
      const dataDir = await mkdtemp(join(tmpdir(), "wa-stories-data-"));
      const secrets = {
        WHATSAPP_APP_SECRET: randomBytes(16).toString("hex"),
        WHATSAPP_VERIFY_TOKEN: randomBytes(12).toString("hex"),
        ADMIN_TOKEN: randomBytes(24).toString("hex"),
      };
      const llmEnv =
        mode === "recorded" && replay
          ? {
              LLM_BASE_URL: replay.baseUrl,
              LLM_API_KEY: "recorded",
              LLM_MODEL: options.live?.model ?? "recorded",
            }
          : mode === "live" && options.live
            ? {
                LLM_BASE_URL: options.live.baseUrl,
                LLM_API_KEY: options.live.apiKey,
                LLM_MODEL: options.live.model,
              }
            : {};
      const config = loadConfig({
        ...secrets,
        ...llmEnv,
        DATABASE_URL: url.toString(),
        DATA_DIR: dataDir,
        HOST: "127.0.0.1",
        PORT: "0",
        LOG_LEVEL: options.logger.level,
        // A burst posted within this window is one turn; short, so stories run quickly.
        TURN_DEBOUNCE_MS: "120",
        WORKER_POLL_INTERVAL_MS: "50",
        // A story's customer gets a few replies per step: never wait for the pair rate limit here.
        PAIR_RATE_BURST: "1000",
        PAIR_RATE_INTERVAL_MS: "1",
        // A recorded miss must fail fast and the breaker must not hide the next requests.
        LLM_BREAKER_FAILURES: "1000",
      });
      const { templates } = await loadContent(contentDir);
      const service = await options.startService(config, {
        logger: options.logger,
        rootDir: options.rootDir,
        contentDir,
        clock: clock.now,
      });
      try {
        for (const [index, story] of stories.entries()) {
          replay?.setStory(slugOf(story.file));
          const report = await runStory(
            { service, templates, secrets, clock, replay, stepTimeoutMs: options.stepTimeoutMs },
            story,
            PHONE_NUMBER_BASE + reports.length + index,
          ).catch(
            (err: unknown): StoryReport => ({
              file: story.file,
              name: story.name,
              ok: false,
              failure: `${story.file}:1: ${err instanceof Error ? err.message : String(err)}`,
              steps: [],
              checks: [],
            }),
          );
          reports.push(report);
          printReport(options, report);
        }
        if (replay && options.record) {
          for (const file of await replay.save()) options.print(`recorded ${file}`);
        }
      } finally {
        await service.stop();
        await replay?.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    for (const database of created)
      await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end();
    await embedded?.stop();
    if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  }
  return reports;
}

/** The nearest folder at or above the story's with both agents/ and prompts/; else the project root. */
export function contentDirFor(file: string, rootDir: string): string {
  let dir = dirname(resolve(file));
  for (;;) {
    if (existsSync(join(dir, "agents")) && existsSync(join(dir, "prompts"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return rootDir;
    dir = parent;
  }
}

function printReport(options: StoryRunOptions, r: StoryReport): void {
  options.print(r.ok ? `ok    ${r.name}  (${r.file})` : `FAIL  ${r.name}\n  ${r.failure}`);
}

function slugOf(file: string): string {
  const base = file.split("/").pop() ?? "story";
  return base.replace(/\.ya?ml$/, "").replace(/[^a-zA-Z0-9_-]+/g, "-");
}

export type FakeClock = { now: () => Date; set: (d: Date) => void; advance: (ms: number) => void };

/** The conversation clock of a story: starts at `start`, moves only when the story says so. */
export function createFakeClock(): FakeClock {
  let t = Date.parse("2026-01-05T13:00:00Z");
  return {
    now: () => new Date(t),
    set: (d) => {
      t = d.getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

type RunContext = {
  service: Service;
  templates: ReadonlyMap<string, Template>;
  secrets: { WHATSAPP_APP_SECRET: string; ADMIN_TOKEN: string };
  clock: FakeClock;
  replay: LlmReplay | undefined;
  stepTimeoutMs: number;
};

const sandboxBody = z.looseObject({
  type: z.string().optional(),
  text: z.object({ body: z.string() }).optional(),
  interactive: z
    .object({
      type: z.string(),
      body: z.object({ text: z.string() }).optional(),
      action: z
        .object({
          buttons: z.array(z.object({ reply: z.object({ id: z.string(), title: z.string() }) })).optional(),
          sections: z
            .array(z.object({ rows: z.array(z.object({ id: z.string(), title: z.string() })).default([]) }))
            .optional(),
        })
        .optional(),
    })
    .optional(),
  template: z
    .object({
      name: z.string(),
      components: z
        .array(
          z
            .object({ parameters: z.array(z.looseObject({ text: z.string().optional() })).default([]) })
            .loose(),
        )
        .default([]),
    })
    .optional(),
});

type Option = { id: string; title: string };

/** What the customer reads: the text, an interactive message's body and options, a template's name and parameters. */
export function seenReply(
  body: z.infer<typeof sandboxBody>,
  templates: ReadonlyMap<string, Template> = new Map(),
): SeenReply & { options: Option[] } {
  const options: Option[] = [
    ...(body.interactive?.action?.buttons ?? []).map((b) => b.reply),
    ...(body.interactive?.action?.sections ?? []).flatMap((s) => s.rows),
  ];
  if (body.template) {
    const params = body.template.components.flatMap((c) =>
      c.parameters.flatMap((p) => (p.text ? [p.text] : [])),
    );
    const known = templates.get(body.template.name);
    // As the customer reads it: the registry's body with the parameters filled in.
    const text = known
      ? [renderTemplate(known, params), ...known.buttons].join("\n")
      : [body.template.name, ...params].join(" ");
    return {
      kind: "template",
      text,
      buttons: known?.buttons ?? [],
      template: body.template.name,
      options: (known?.buttons ?? []).map((title) => ({ id: title, title })),
    };
  }
  const text = body.text?.body ?? body.interactive?.body?.text ?? "";
  return {
    kind: body.interactive ? "interactive" : (body.type ?? "unknown"),
    text: [text, ...options.map((o) => o.title)].filter(Boolean).join("\n"),
    buttons: options.map((o) => o.title),
    options,
  };
}

async function runStory(ctx: RunContext, story: Story, phoneNumberId: number): Promise<StoryReport> {
  const { service } = ctx;
  const pool = service.pool;
  const waId = story.contact?.wa_id ?? `55${randomInt(11, 99)}9${String(randomInt(10_000_000, 99_999_999))}`;
  const webhookCtx = {
    phoneNumberId: String(phoneNumberId),
    displayPhoneNumber: "5511900000000",
    waId,
    name: story.contact?.name ?? "Cliente",
  };
  ctx.clock.set(new Date(story.start));
  const report: StoryReport = { file: story.file, name: story.name, ok: true, steps: [], checks: [] };
  const fail = (line: number, message: string) => {
    if (report.ok) {
      report.ok = false;
      report.failure = `${story.file}:${line}: ${message}`;
    }
  };
  if (story.agent) {
    const { rowCount } = await pool.query(
      `insert into conversations (phone_number_id, customer_key, customer_wa_id, customer_name, agent_id)
       values ($1, $2, $2, $3, $4) on conflict (phone_number_id, customer_key) do nothing`,
      [webhookCtx.phoneNumberId, waId, webhookCtx.name, story.agent],
    );
    if (!rowCount) throw new Error("conversation already exists");
  }
  let lastBody: string | undefined;
  let mark = await lastSandboxId(pool);
  const firstMark = mark;

  const post = async (body: string) => {
    const res = await fetch(`${service.url}/webhook`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hub-signature-256": signBody(body, ctx.secrets.WHATSAPP_APP_SECRET),
      },
      body,
    });
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    lastBody = body;
  };
  const send = async (messages: CustomerMessage[]) => {
    const bodies = messages.map((message) => {
      ctx.clock.advance(messages.length > 1 ? 200 : 5000);
      return JSON.stringify(
        customerWebhook(webhookCtx, [{ message, at: ctx.clock.now(), wamid: newWamid() }]),
      );
    });
    // A burst arrives as Meta delivers one: separate webhooks at (almost) the same time, so a busy
    // machine cannot stretch it past the debounce window. Meta's timestamps keep the order.
    await Promise.all(bodies.map((body) => post(body)));
    lastBody = bodies.at(-1);
  };

  for (const step of story.steps) {
    const started = performance.now();
    try {
      await runStep(ctx, story, step, {
        waId,
        send,
        post,
        lastBody: () => lastBody,
        phoneNumberId: webhookCtx.phoneNumberId,
      });
      await waitIdle(ctx, webhookCtx.phoneNumberId, waId);
    } catch (err) {
      fail(step.line, err instanceof Error ? err.message : String(err));
      report.steps.push({
        line: step.line,
        kind: step.kind,
        latencyMs: performance.now() - started,
        replies: [],
        checks: [],
      });
      break;
    }
    const latencyMs = Math.round(performance.now() - started);
    const misses = ctx.replay?.takeMisses() ?? [];
    if (misses.length > 0)
      fail(step.line, `recorded LLM: no recording for request ${misses[0]} (run with --record)`);
    const replies = await repliesSince(pool, waId, mark, ctx.templates);
    mark = await lastSandboxId(pool);
    const checks = step.expect
      ? checkExpectations(step.expect, await observe(pool, webhookCtx.phoneNumberId, waId, replies))
      : [];
    report.steps.push({ line: step.line, kind: step.kind, latencyMs, replies, checks });
    const failed = checks.find((c) => !c.ok);
    if (failed) fail(step.line, describeFailure(failed));
  }
  if (story.expect && report.ok) {
    const all = await repliesSince(pool, waId, firstMark, ctx.templates);
    report.checks = checkExpectations(story.expect, await observe(pool, webhookCtx.phoneNumberId, waId, all));
    const failed = report.checks.find((c) => !c.ok);
    if (failed) fail(story.expectLine, describeFailure(failed));
  }
  return report;
}

type StepIo = {
  waId: string;
  phoneNumberId: string;
  send: (messages: CustomerMessage[]) => Promise<void>;
  post: (body: string) => Promise<void>;
  lastBody: () => string | undefined;
};

async function runStep(ctx: RunContext, story: Story, step: Step, io: StepIo): Promise<void> {
  const pool = ctx.service.pool;
  switch (step.kind) {
    case "user": {
      const u = step.user;
      if (typeof u === "string") return io.send([{ type: "text", text: u }]);
      if ("image" in u || "document" in u || "audio" in u) {
        const path = "image" in u ? u.image : "document" in u ? u.document : u.audio;
        const type = "image" in u ? "image" : "document" in u ? "document" : "audio";
        const file = resolve(dirname(story.file), path);
        const bytes = await readFile(file).catch(() => {
          throw new Error(`cannot read ${path} (from ${file})`);
        });
        const mimeType = mimeTypeOf(path);
        const filename = "filename" in u && u.filename ? u.filename : (path.split("/").pop() ?? "arquivo");
        const mediaId = await storeSandboxMedia(pool, { bytes, mimeType, filename });
        const caption = "caption" in u ? u.caption : undefined;
        return io.send([
          {
            type,
            mediaId,
            mimeType,
            bytes,
            ...(caption !== undefined ? { caption } : {}),
            ...(type === "document" ? { filename } : {}),
          },
        ]);
      }
      if ("button" in u || "list" in u) {
        const wanted = "button" in u ? u.button : u.list;
        const last = await lastInteractive(pool, io.waId, ctx.templates);
        if (!last) throw new Error(`no interactive message to pick "${wanted}" from`);
        const option =
          last.options.find((o) => o.id === wanted) ??
          last.options.find((o) => fold(o.title) === fold(wanted));
        if (!option)
          throw new Error(
            `the last interactive message offers ${last.options.map((o) => `"${o.title}"`).join(", ")}, not "${wanted}"`,
          );
        return io.send([
          {
            type: "button" in u ? "button_reply" : "list_reply",
            id: option.id,
            title: option.title,
            contextWamid: last.wamid,
          },
        ]);
      }
      return io.send([{ type: "location", ...u.location }]);
    }
    case "burst":
      return io.send(step.burst.map((text) => ({ type: "text", text })));
    case "wait":
      ctx.clock.advance(parseDuration(step.wait));
      // Due follow-ups fire on the new time (the worker's poller would, later, on its own).
      await ctx.service.fireFollowUps();
      return;
    case "duplicate": {
      const body = io.lastBody();
      if (!body) throw new Error("duplicate: no earlier webhook to re-deliver");
      return io.post(body);
    }
    case "operator": {
      const conv = await conversationRow(pool, io.phoneNumberId, io.waId);
      if (!conv) throw new Error("operator: the conversation does not exist yet");
      const res = await fetch(`${ctx.service.url}/admin/conversations/${conv.id}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ctx.secrets.ADMIN_TOKEN}` },
        body: JSON.stringify({ text: step.operator, operator: "story" }),
      });
      if (res.status !== 201)
        throw new Error(`operator reply refused: HTTP ${res.status} ${await res.text()}`);
      return;
    }
  }
}

/**
 * Idle: every inbound message of the conversation processed, no turn job waiting, no reply still
 * to be sent. Polled; past the step timeout the step fails.
 */
async function waitIdle(ctx: RunContext, phoneNumberId: string, waId: string): Promise<void> {
  const deadline = Date.now() + ctx.stepTimeoutMs;
  for (;;) {
    const { rows } = await ctx.service.pool.query<{ busy: boolean }>(
      `select exists (select 1 from inbound_messages m where m.conversation_id = c.id and m.processed_at is null)
           or exists (select 1 from graphile_worker.jobs j where j.key = 'turn:' || c.id)
           or exists (select 1 from outbox o where o.conversation_id = c.id and o.status in ('pending', 'sending')) as busy
         from conversations c where c.phone_number_id = $1 and c.customer_key = $2`,
      [phoneNumberId, waId],
    );
    if (!rows[0]?.busy) return;
    if (Date.now() > deadline)
      throw new Error(`the conversation was still busy after ${ctx.stepTimeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function lastSandboxId(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ id: string | null }>(
    "select max(id)::text as id from sandbox_messages",
  );
  return Number(rows[0]?.id ?? 0);
}

const sandboxRow = z.object({ id: z.coerce.number(), wamid: z.string(), body: z.unknown() });

async function sandboxRows(
  pool: pg.Pool,
  waId: string,
  after: number,
  templates: ReadonlyMap<string, Template>,
) {
  const { rows } = await pool.query(
    `select id, wamid, body from sandbox_messages
      where id > $1 and (recipient = $2 or recipient = '+' || $2) and body ? 'type' order by id`,
    [after, waId],
  );
  return z
    .array(sandboxRow)
    .parse(rows)
    .map((r) => ({ ...r, seen: seenReply(sandboxBody.parse(r.body), templates) }));
}

async function repliesSince(
  pool: pg.Pool,
  waId: string,
  after: number,
  templates: ReadonlyMap<string, Template>,
): Promise<SeenReply[]> {
  return (await sandboxRows(pool, waId, after, templates)).map(
    ({ seen: { options: _o, ...reply } }) => reply,
  );
}

async function lastInteractive(pool: pg.Pool, waId: string, templates: ReadonlyMap<string, Template>) {
  const rows = await sandboxRows(pool, waId, 0, templates);
  const last = rows.filter((r) => r.seen.options.length > 0).at(-1);
  return last ? { wamid: last.wamid, options: last.seen.options } : undefined;
}

const conversationSchema = z.object({
  id: z.coerce.number(),
  state: z.unknown(),
  handoff: z.boolean(),
  opted_out: z.boolean(),
  lead: z
    .object({
      outcome: z.string(),
      slots: z.record(z.string(), z.unknown()),
      customer_wa_id: z.string().nullable(),
      customer_name: z.string().nullable(),
      agent_id: z.string(),
      details: z.record(z.string(), z.unknown()).default({}),
    })
    .nullable(),
});
const agentStateSchema = z.object({ state: z.string(), slots: z.record(z.string(), z.unknown()) });

async function conversationRow(pool: pg.Pool, phoneNumberId: string, waId: string) {
  const { rows } = await pool.query(
    `select c.id, c.state, c.handoff_at is not null as handoff, c.opted_out_at is not null as opted_out,
            (select json_build_object('outcome', l.outcome, 'slots', l.slots, 'customer_wa_id', l.customer_wa_id,
                                      'customer_name', l.customer_name, 'agent_id', l.agent_id, 'details', l.details)
               from leads l where l.conversation_id = c.id) as lead
       from conversations c where c.phone_number_id = $1 and c.customer_key = $2`,
    [phoneNumberId, waId],
  );
  return rows[0] === undefined ? undefined : conversationSchema.parse(rows[0]);
}

async function observe(
  pool: pg.Pool,
  phoneNumberId: string,
  waId: string,
  replies: SeenReply[],
): Promise<Observed> {
  const conv = await conversationRow(pool, phoneNumberId, waId);
  const state = agentStateSchema.safeParse(conv?.state);
  const lead = conv?.lead;
  return {
    replies,
    state: state.success ? state.data.state : undefined,
    slots: state.success ? state.data.slots : {},
    handoff: conv?.handoff ?? false,
    optedOut: conv?.opted_out ?? false,
    lead: lead
      ? {
          ...lead.details,
          ...lead.slots,
          outcome: lead.outcome,
          agent: lead.agent_id,
          wa_id: lead.customer_wa_id,
          ...(lead.customer_name ? { profile_name: lead.customer_name } : {}),
        }
      : undefined,
  };
}
