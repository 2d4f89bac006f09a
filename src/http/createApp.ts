import express, { type ErrorRequestHandler, type Express, type Router } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import { withTransaction } from "../db/withTransaction.ts";
import { sendOperatorReply } from "../handoff/sendOperatorReply.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import { retryOutboxMessage } from "../outbound/retryOutboxMessage.ts";
import { eraseContact } from "../privacy/eraseContact.ts";
import { addJob } from "../queue/addJob.ts";
import { listDeadJobs } from "../queue/deadJobs.ts";
import { type WebhookDeps, webhookRoutes } from "../webhook/webhookRoutes.ts";
import { healthRoutes, type Readiness } from "./healthRoutes.ts";
import { requireAdmin } from "./requireAdmin.ts";

export type AppDeps = WebhookDeps & {
  adminToken: string;
  readiness: Readiness;
  metrics: Metrics;
  /** Re-runs dead graphile-worker jobs now, attempts reset. */
  retryJobs: (ids: string[]) => Promise<number>;
  sandbox: boolean;
  /** A CRM is configured: erasures reach it too. */
  crm?: boolean;
  /** The operator console and simulator (src/console), mounted at /console. */
  console?: Router;
  /** TRUST_PROXY, as express's "trust proxy" reads it (addresses, CIDRs, loopback, uniquelocal, hops). */
  trustProxy?: string | number | boolean;
  /** Pulls template approval from Meta now; returns how many templates it saw. */
  syncTemplates?: () => Promise<number>;
};

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  // Forwarding headers are believed only from the proxies the operator lists (TRUST_PROXY):
  // otherwise any client picks the address its login attempts and log lines are counted under.
  app.set("trust proxy", deps.trustProxy ?? false);
  app.use(webhookRoutes(deps));

  // The address the start-up log prints: a person opening it wants the console.
  app.get("/", (_req, res) => {
    res.redirect(302, "/console/");
  });
  app.use(healthRoutes(deps.readiness, deps.metrics));

  if (deps.console) app.use(deps.console);

  const admin = express.Router();
  admin.use(requireAdmin(deps.adminToken));
  admin.use(express.json({ limit: "100kb" }));
  admin.get("/admin/jobs/dead", async (_req, res) => {
    res.json({ jobs: await listDeadJobs(deps.pool) });
  });
  admin.post("/admin/jobs/:id/retry", async (req, res) => {
    const id = z.string().regex(/^\d+$/).safeParse(req.params.id);
    if (!id.success) {
      res.status(400).json({ error: "job id must be numeric" });
      return;
    }
    const count = await deps.retryJobs([id.data]);
    res.status(count > 0 ? 200 : 404).json({ retried: count });
  });
  admin.get("/admin/outbox", async (req, res) => {
    const status = z.string().max(20).optional().safeParse(req.query.status);
    const { rows } = await deps.pool.query(
      `select id, conversation_id, seq, kind, status, wamid, attempts, error_code, error_title, error_details,
              created_at, updated_at
         from outbox where ($1::text is null or status = $1) order by id desc limit 200`,
      [status.success ? (status.data ?? null) : null],
    );
    res.json({ outbox: rows });
  });
  admin.post("/admin/outbox/:id/retry", async (req, res) => {
    const id = z.coerce.number().int().positive().safeParse(req.params.id);
    if (!id.success) {
      res.status(400).json({ error: "outbox id must be a positive integer" });
      return;
    }
    const retried = await retryOutboxMessage(deps.pool, id.data);
    res.status(retried ? 200 : 409).json({ retried });
  });
  admin.get("/admin/templates", async (_req, res) => {
    const { rows } = await deps.pool.query(
      "select name, language, status, category, quality, reason, source, updated_at from template_status order by name",
    );
    res.json({ templates: rows });
  });
  admin.post("/admin/templates/sync", async (_req, res) => {
    if (!deps.syncTemplates) {
      res.status(409).json({ error: "no WhatsApp Business Account configured (WHATSAPP_WABA_ID)" });
      return;
    }
    res.json({ synced: await deps.syncTemplates() });
  });
  admin.get("/admin/leads", async (req, res) => {
    const q = z
      .object({
        sync: z.enum(["pending", "synced", "failed"]).optional(),
        outcome: z.string().max(40).optional(),
      })
      .safeParse(req.query);
    if (!q.success) {
      res.status(400).json({ error: q.error.message });
      return;
    }
    const { rows } = await deps.pool.query(
      `select id, conversation_id, agent_id, outcome, slots, details, sync_status, sync_attempts, sync_error, synced_at,
              created_at, updated_at
         from leads where ($1::text is null or sync_status = $1) and ($2::text is null or outcome = $2)
        order by updated_at desc limit 200`,
      [q.data.sync ?? null, q.data.outcome ?? null],
    );
    res.json({ leads: rows });
  });
  admin.post("/admin/leads/:id/sync", async (req, res) => {
    const id = z.coerce.number().int().positive().safeParse(req.params.id);
    if (!id.success) {
      res.status(400).json({ error: "lead id must be a positive integer" });
      return;
    }
    const queued = await withTransaction(deps.pool, async (db) => {
      const { rowCount } = await db.query("update leads set sync_status = 'pending' where id = $1", [
        id.data,
      ]);
      if (rowCount)
        await addJob(db, "sync_lead", { leadId: id.data }, { jobKey: `lead:${id.data}`, maxAttempts: 10 });
      return rowCount ?? 0;
    });
    res.status(queued ? 202 : 404).json({ queued });
  });
  // LGPD: erase a customer everywhere we stored them (see eraseContact); the consent ledger stays, anonymous.
  admin.delete("/admin/contacts/:customer", async (req, res) => {
    const customer = z
      .string()
      .regex(/^[A-Za-z0-9._-]{5,80}$/)
      .safeParse(req.params.customer);
    if (!customer.success) {
      res.status(400).json({ error: "a WhatsApp number (digits) or business-scoped user id" });
      return;
    }
    const result = await eraseContact(deps.pool, customer.data, { crm: deps.crm ?? false });
    deps.logger.warn({ conversations: result.conversations, leads: result.leads.length }, "contact erased");
    res.status(result.conversations > 0 ? 200 : 404).json(result);
  });
  admin.post("/admin/conversations/:id/messages", async (req, res) => {
    const id = z.coerce.number().int().positive().safeParse(req.params.id);
    const body = z
      .strictObject({
        text: z.string().trim().min(1).max(20_000),
        operator: z.string().max(80).default("admin"),
      })
      .safeParse(req.body);
    if (!id.success || !body.success) {
      res.status(400).json({
        error: id.success
          ? (body.error?.message ?? "bad body")
          : "conversation id must be a positive integer",
      });
      return;
    }
    const result = await sendOperatorReply(deps.pool, id.data, body.data.text, body.data.operator);
    const status = { queued: 201, no_conversation: 404, opted_out: 409, no_recipient: 409 }[result.kind];
    res.status(status).json(result);
  });
  if (deps.sandbox) {
    admin.get("/sandbox/messages", async (req, res) => {
      const q = z
        .object({
          recipient: z.string().max(64).optional(),
          after: z.coerce.number().int().min(0).default(0),
        })
        .safeParse(req.query);
      if (!q.success) {
        res.status(400).json({ error: q.error.message });
        return;
      }
      const { rows } = await deps.pool.query(
        `select id, wamid, phone_number_id, recipient, body, created_at from sandbox_messages
          where id > $1 and ($2::text is null or recipient = $2 or recipient = '+' || $2)
          order by id limit 500`,
        [q.data.after, q.data.recipient ?? null],
      );
      res.json({ messages: rows });
    });
  }
  app.use(admin);

  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const status = errorStatus(err);
    if (status >= 500)
      deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, "request failed");
    else
      deps.logger.warn({ status, err: err instanceof Error ? err.message : String(err) }, "request rejected");
    if (!res.headersSent)
      res.status(status).json({ error: status === 413 ? "payload too large" : "request failed" });
  };
  app.use(onError);
  return app;
}

const httpErrorSchema = z.object({ status: z.number().int().min(400).max(599) });

function errorStatus(err: unknown): number {
  const parsed = httpErrorSchema.safeParse(err);
  return parsed.success ? parsed.data.status : 500;
}

export type { Logger };
