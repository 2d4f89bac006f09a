import { fileURLToPath } from "node:url";
import express, { type ErrorRequestHandler, type Response, type Router } from "express";
import type pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import type { LoadedAgent } from "../content/loadContent.ts";
import type { Template } from "../content/parseTemplate.ts";
import { templateMessage } from "../conversation/decideReplies.ts";
import { recordOperatorEvent } from "../handoff/recordOperatorEvent.ts";
import { reviewLead } from "../handoff/reviewLead.ts";
import { sendOperatorReply } from "../handoff/sendOperatorReply.ts";
import { giveBack, takeOver } from "../handoff/takeOver.ts";
import { serviceWindow } from "../outbound/decideSendPolicy.ts";
import { oldestUnsentSeconds } from "../outbound/oldestUnsentSeconds.ts";
import { retryOutboxMessage } from "../outbound/retryOutboxMessage.ts";
import { eraseContact } from "../privacy/eraseContact.ts";
import { listDeadJobs } from "../queue/deadJobs.ts";
import { baseMime } from "../whatsapp/fetchGraphMedia.ts";
import { type ConsoleAuthOptions, createConsoleAuth, sessionOf } from "./consoleAuth.ts";
import { FILTERS, listConversations, readConversation, readTurns } from "./conversationViews.ts";
import type { Simulator } from "./createSimulator.ts";
import { createLiveEvents } from "./liveEvents.ts";
import { readReviewQueue } from "./reviewQueue.ts";

const PUBLIC_DIR = fileURLToPath(new URL("./public/", import.meta.url));

export type ConsoleDeps = {
  pool: pg.Pool;
  logger: Logger;
  agents: ReadonlyMap<string, LoadedAgent>;
  templates: ReadonlyMap<string, Template>;
  /** The conversation clock (the simulator's when it runs). */
  now: () => Date;
  auth: Omit<ConsoleAuthOptions, "pool" | "info">;
  transport: string;
  /** Present when the simulator is enabled (sandbox by default; SIMULATOR=on elsewhere). */
  simulator?: Simulator | undefined;
  /** A CRM is configured: reviewed leads are synced to it, erasures reach it. */
  crm: boolean;
  retryJobs: (ids: string[]) => Promise<number>;
  livePollMs?: number;
  /** How often an open event stream re-checks its session (tests shorten it). */
  sessionCheckMs?: number;
};

const idParam = z.coerce.number().int().positive();
const CSP =
  "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * The operator console and the chat simulator (docs/console-api.md): one static page and its JSON
 * API, behind a session login with CSRF protection.
 */
export function consoleRoutes(deps: ConsoleDeps): { router: Router; close: () => void } {
  const router = express.Router();
  const auth = createConsoleAuth({
    pool: deps.pool,
    ...deps.auth,
    info: { simulator: deps.simulator !== undefined, transport: deps.transport },
  });
  const live = createLiveEvents({
    pool: deps.pool,
    logger: deps.logger,
    pollMs: deps.livePollMs ?? 700,
    stillSignedIn: auth.stillSignedIn,
    ...(deps.sessionCheckMs ? { sessionCheckMs: deps.sessionCheckMs } : {}),
  });
  const views = { pool: deps.pool, agents: deps.agents, templates: deps.templates, now: deps.now };

  router.use("/console", (_req, res, next) => {
    res.set({
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
    });
    next();
  });
  router.get(["/console", "/console/"], (_req, res) => {
    res.set("cache-control", "no-store").sendFile("index.html", { root: PUBLIC_DIR });
  });
  router.use("/console/assets", express.static(PUBLIC_DIR, { index: false, fallthrough: false, maxAge: 0 }));
  router.use(auth.routes());

  const api = express.Router();
  api.use(auth.requireSession);
  // Uploads are read raw by their own route, whatever Content-Type the browser gives them.
  const json = express.json({ limit: "100kb" });
  api.use((req, res, next) => (req.path === "/simulator/media" ? next() : json(req, res, next)));
  api.get("/events", live.handler);

  api.get("/conversations", async (req, res) => {
    const q = z
      .object({ filter: z.enum(FILTERS).default("all"), customer: z.string().max(80).optional() })
      .safeParse(req.query);
    if (!q.success) return bad(res, `filter must be one of ${FILTERS.join(", ")}`);
    res.json({ conversations: await listConversations(views, q.data.filter, q.data.customer) });
  });
  api.get("/conversations/:id", async (req, res) => {
    const id = pathId(req.params.id, res, "conversation");
    if (id === undefined) return;
    const found = await readConversation(views, id);
    if (!found) return void res.status(404).json({ error: "No such conversation" });
    res.json(found);
  });
  api.get("/conversations/:id/turns", async (req, res) => {
    const id = pathId(req.params.id, res, "conversation");
    if (id === undefined) return;
    const found = await deps.pool.query("select 1 from conversations where id = $1", [id]);
    if (found.rowCount === 0) return void res.status(404).json({ error: "No such conversation" });
    res.json({ turns: await readTurns(views, id) });
  });
  api.post("/conversations/:id/takeover", async (req, res) => {
    const id = pathId(req.params.id, res, "conversation");
    if (id === undefined) return;
    const r = await takeOver(deps.pool, id, sessionOf(res).operator);
    if (r.kind === "no_conversation") return void res.status(404).json({ error: "No such conversation" });
    if (r.kind === "busy")
      return void res
        .status(409)
        .json({ error: `${r.takenBy} already has this conversation`, takenBy: r.takenBy });
    res.json({ takenBy: r.takenBy });
  });
  api.post("/conversations/:id/release", async (req, res) => {
    const id = pathId(req.params.id, res, "conversation");
    if (id === undefined) return;
    const r = await giveBack(deps.pool, deps.agents, id, sessionOf(res).operator);
    if (r.kind === "no_conversation") return void res.status(404).json({ error: "No such conversation" });
    if (r.kind === "not_yours")
      return void res.status(409).json({
        error: `${r.takenBy} has this conversation; only they can give it back`,
        takenBy: r.takenBy,
      });
    res.json({});
  });
  api.post("/conversations/:id/reply", async (req, res) => {
    const id = pathId(req.params.id, res, "conversation");
    if (id === undefined) return;
    const body = z
      .union([
        z.strictObject({ text: z.string().trim().min(1).max(20_000) }),
        z.strictObject({
          template: z.strictObject({
            name: z.string().min(1).max(512),
            params: z.array(z.string().trim().min(1).max(1024)).max(20),
          }),
        }),
      ])
      .safeParse(req.body);
    if (!body.success) return bad(res, "Write a message, or choose a template and fill every parameter");
    const found = await deps.pool.query<{ last_inbound_at: Date | null }>(
      "select last_inbound_at from conversations where id = $1",
      [id],
    );
    const conversation = found.rows[0];
    if (!conversation) return void res.status(404).json({ error: "No such conversation" });
    const operator = sessionOf(res).operator;
    let content: Parameters<typeof sendOperatorReply>[2];
    if ("text" in body.data) {
      // Meta refuses free text outside the 24-hour window; say so now instead of a dropped message.
      if (!serviceWindow(conversation.last_inbound_at, deps.now()).open)
        return void res.status(409).json({
          error: "The 24-hour window is closed: only an approved template can be sent",
          windowClosed: true,
        });
      content = body.data.text;
    } else {
      const template = deps.templates.get(body.data.template.name);
      if (!template) return bad(res, `No template ${body.data.template.name}`);
      if (template.parameters.length !== body.data.template.params.length)
        return bad(res, `Template ${template.name} takes ${template.parameters.length} parameter(s)`);
      content = templateMessage(deps.templates, template.name, body.data.template.params);
    }
    const r = await sendOperatorReply(deps.pool, id, content, operator);
    if (r.kind === "queued") {
      await recordOperatorEvent(deps.pool, {
        conversationId: id,
        operator,
        action: "reply",
        detail: { outboxIds: r.outboxIds },
      });
      return void res.status(201).json({ outboxIds: r.outboxIds });
    }
    const errors = {
      no_conversation: [404, "No such conversation"],
      opted_out: [409, "This contact opted out: nothing can be sent"],
      no_recipient: [409, "This conversation has no WhatsApp recipient"],
    } as const;
    const [status, error] = errors[r.kind];
    res.status(status).json({ error });
  });
  api.delete("/conversations/:id/contact", async (req, res) => {
    const id = pathId(req.params.id, res, "conversation");
    if (id === undefined) return;
    const { rows } = await deps.pool.query<{ customer: string | null }>(
      "select coalesce(customer_wa_id, customer_user_id) as customer from conversations where id = $1",
      [id],
    );
    const customer = rows[0]?.customer;
    if (!customer) return void res.status(404).json({ error: "No such contact (already erased?)" });
    const result = await eraseContact(deps.pool, customer, { crm: deps.crm });
    await recordOperatorEvent(deps.pool, {
      conversationId: id,
      operator: sessionOf(res).operator,
      action: "erase_contact",
      detail: { conversations: result.conversations, leads: result.leads.length },
    });
    deps.logger.warn(
      { conversations: result.conversations, leads: result.leads.length },
      "contact erased from the console",
    );
    res.json({ conversations: result.conversations, leads: result.leads.length });
  });

  api.get("/media/:id", async (req, res) => {
    const id = pathId(req.params.id, res, "media");
    if (id === undefined) return;
    const { rows } = await deps.pool.query<{ mime_type: string | null; bytes: Buffer | null }>(
      "select coalesce(mime_type, declared_mime) as mime_type, bytes from media where id = $1",
      [id],
    );
    const m = rows[0];
    if (!m?.bytes)
      return void res.status(404).json({ error: "No such file, or its retention period is over" });
    // Only types a browser shows harmlessly are served as themselves; the rest download.
    const mime = baseMime(m.mime_type ?? "");
    const inline =
      /^image\/(jpeg|png|webp)$/.test(mime) || mime === "application/pdf" || mime.startsWith("audio/");
    res.set({
      "content-type": inline ? mime : "application/octet-stream",
      "content-disposition": inline ? "inline" : "attachment",
      "content-security-policy": "sandbox",
      "cache-control": "private, max-age=300",
    });
    res.send(m.bytes);
  });

  api.get("/leads", async (req, res) => {
    const q = z.object({ outcome: z.string().max(40).default("needs_review") }).safeParse(req.query);
    if (!q.success) return bad(res, "outcome must be a short string");
    res.json({ leads: await readReviewQueue(deps.pool, q.data.outcome) });
  });
  api.post("/leads/:id/review", async (req, res) => {
    const id = pathId(req.params.id, res, "lead");
    if (id === undefined) return;
    const body = z
      .strictObject({
        decision: z.enum(["approve", "reject"]),
        fields: z.record(z.string().regex(/^[a-z_][a-z0-9_]{0,63}$/), z.string().max(500)).default({}),
        note: z.string().trim().max(2000).optional(),
      })
      .safeParse(req.body);
    if (!body.success) return bad(res, "decision must be approve or reject");
    const r = await reviewLead(
      deps.pool,
      id,
      { ...body.data, operator: sessionOf(res).operator },
      { syncLeads: deps.crm },
    );
    if (r.kind === "no_lead") return void res.status(404).json({ error: "No such lead" });
    if (r.kind === "not_in_review")
      return void res.status(409).json({ error: `This lead was already decided (${r.outcome})` });
    if (r.kind === "bad_fields") return void res.status(400).json({ error: r.problems.join("; ") });
    res.json({ lead: r.lead });
  });

  api.get("/jobs/dead", async (_req, res) => {
    res.json({ jobs: await listDeadJobs(deps.pool) });
  });
  api.post("/jobs/:id/retry", async (req, res) => {
    const jobId = z
      .string()
      .regex(/^\d{1,18}$/)
      .safeParse(req.params.id);
    if (!jobId.success) return bad(res, "job id must be a number");
    const retried = await deps.retryJobs([jobId.data]);
    res.status(retried > 0 ? 200 : 404).json(retried > 0 ? { retried } : { error: "No such dead job" });
  });
  api.get("/outbox/failed", async (_req, res) => {
    const { rows } = await deps.pool.query(
      `select id, conversation_id as "conversationId", status, coalesce(error_title, dropped_reason) as error,
              updated_at as at
         from outbox where status in ('failed', 'dead') order by id desc limit 200`,
    );
    // During an outage replies are retried for hours: how long the oldest one has waited.
    res.json({ messages: rows, oldestUnsentSeconds: Math.round(await oldestUnsentSeconds(deps.pool)) });
  });
  api.post("/outbox/:id/retry", async (req, res) => {
    const id = pathId(req.params.id, res, "outbox");
    if (id === undefined) return;
    const retried = await retryOutboxMessage(deps.pool, id);
    res.status(retried ? 200 : 409).json(retried ? { retried } : { error: "Not a failed message" });
  });
  api.get("/templates", async (_req, res) => {
    const { rows } = await deps.pool.query<{
      name: string;
      status: string;
      reason: string | null;
      updated_at: Date;
    }>("select name, status, reason, updated_at from template_status");
    const status = new Map(rows.map((r) => [r.name, r]));
    res.json({
      templates: [...deps.templates.values()].map((t) => ({
        name: t.name,
        language: t.language,
        category: t.category,
        body: t.body,
        parameters: t.parameters,
        buttons: t.buttons,
        status: status.get(t.name)?.status ?? "unknown",
        reason: status.get(t.name)?.reason ?? null,
        updatedAt: status.get(t.name)?.updated_at ?? null,
      })),
    });
  });

  const sim = deps.simulator;
  if (sim) {
    const waId = z.string().regex(/^\d{8,15}$/, "a WhatsApp number: 8 to 15 digits");
    const name = z.string().trim().min(1).max(60);
    api.get("/simulator", (_req, res) => {
      res.json(sim.info());
    });
    api.post("/simulator/messages", async (req, res) => {
      const body = z
        .strictObject({
          waId,
          name,
          message: z.discriminatedUnion("type", [
            z.strictObject({ type: z.literal("text"), text: z.string().trim().min(1).max(4096) }),
            z.strictObject({
              type: z.enum(["button_reply", "list_reply"]),
              id: z.string().min(1).max(256),
              title: z.string().min(1).max(72),
              contextWamid: z.string().min(1).max(256),
            }),
          ]),
        })
        .safeParse(req.body);
      if (!body.success)
        return bad(res, body.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      const r = await sim.send(body.data.waId, body.data.name, body.data.message);
      if (r.kind !== "sent") return void res.status(502).json({ error: r.error });
      res.status(202).json({ wamid: r.wamid, conversationId: r.conversationId });
    });
    const uploadQuery = z.object({
      waId,
      name,
      filename: z.string().trim().min(1).max(200).default("arquivo"),
      caption: z.string().max(1024).optional(),
    });
    api.post(
      "/simulator/media",
      // Read a little past the limit so an oversized file gets our sentence, not a generic 413.
      express.raw({ type: () => true, limit: sim.info().limits.maxBytes + 1024 * 1024 }),
      async (req, res) => {
        const q = uploadQuery.safeParse(req.query);
        if (!q.success)
          return bad(res, q.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
        const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        if (bytes.length === 0) return bad(res, "The file is empty");
        const r = await sim.sendFile(q.data.waId, q.data.name, {
          bytes,
          mimeType: req.get("content-type") ?? "application/octet-stream",
          filename: q.data.filename,
          caption: q.data.caption,
        });
        if (r.kind === "too_big") return void res.status(413).json({ error: r.error });
        if (r.kind === "type_not_accepted") return void res.status(415).json({ error: r.error });
        if (r.kind === "webhook_failed") return void res.status(502).json({ error: r.error });
        res.status(202).json({ wamid: r.wamid, conversationId: r.conversationId });
      },
    );
    api.post("/simulator/clock", async (req, res) => {
      const body = z
        .strictObject({
          advanceMs: z
            .number()
            .int()
            .positive()
            .max(365 * 24 * 3600 * 1000),
        })
        .safeParse(req.body);
      if (!body.success) return bad(res, "advanceMs: a positive number of milliseconds (at most a year)");
      const moved = await sim.advanceClock(body.data.advanceMs);
      if (!moved)
        return void res.status(409).json({
          error: "The clock moves only in the sandbox with ROLE=all: it is every conversation's clock",
        });
      res.json(moved);
    });
  }
  const tooLarge: ErrorRequestHandler = (err: unknown, req, res, next) => {
    const status = z.object({ status: z.number(), type: z.string().optional() }).safeParse(err);
    if (status.success && status.data.type === "entity.parse.failed") {
      res.status(400).json({ error: "The request body is not valid JSON" });
      return;
    }
    if (status.success && status.data.status === 413 && req.path.startsWith("/simulator/media")) {
      const limit = sim?.info().limits.maxBytes ?? 0;
      res
        .status(413)
        .json({ error: `The file is too large: the limit is ${(limit / 1024 / 1024).toFixed(1)} MB` });
      return;
    }
    next(err);
  };
  api.use(tooLarge);
  api.use((_req, res) => {
    res.status(404).json({ error: "No such console API route" });
  });
  router.use("/console/api", api);
  return { router, close: live.close };
}

/** A positive integer path id, or a 400 naming it (then undefined). */
function pathId(raw: string | undefined, res: Response, what: string): number | undefined {
  const id = idParam.safeParse(raw);
  if (id.success) return id.data;
  bad(res, `${what} id must be a positive integer`);
  return undefined;
}

function bad(res: Response, error: string): void {
  res.status(400).json({ error });
}
