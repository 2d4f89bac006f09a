import express, { type Router } from "express";
import type pg from "pg";
import type { Logger } from "pino";
import { constantTimeEquals } from "../http/requireAdmin.ts";
import type { StoredWebhook, WebhookInput } from "../inbox/storeWebhook.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import { parseWebhook } from "./parseWebhook.ts";
import { sanitizeJson } from "./sanitizeJson.ts";
import { isSignatureHeader, verifySignature } from "./verifySignature.ts";

export type WebhookDeps = {
  pool: pg.Pool;
  logger: Logger;
  metrics: Metrics;
  appSecret: string;
  verifyToken: string;
  maxBodyBytes: number;
  /** Stores one webhook durably (batched with concurrent ones); resolves after commit. */
  store: (input: WebhookInput) => Promise<StoredWebhook>;
  now: () => Date;
};

/**
 * GET: Meta's subscription handshake. POST: verify the signature over the raw bytes, parse every
 * entry and change, store everything durably, and only then answer 200. A database failure is a
 * 503, so Meta re-delivers instead of us losing what it sent.
 */
export function webhookRoutes(deps: WebhookDeps): Router {
  const router = express.Router();
  router.get("/webhook", (req, res) => {
    const mode = req.query["hub.mode"];
    const token = req.query["hub.verify_token"];
    const challenge = req.query["hub.challenge"];
    if (
      mode === "subscribe" &&
      typeof token === "string" &&
      typeof challenge === "string" &&
      constantTimeEquals(token, deps.verifyToken)
    ) {
      res.status(200).type("text/plain").send(challenge);
      return;
    }
    deps.logger.warn({ mode }, "webhook verification refused");
    res.sendStatus(403);
  });

  // A missing or malformed signature is refused before the body is read: a stranger's megabytes
  // cost nothing but the headers.
  const requireSignatureHeader: express.RequestHandler = (req, res, next) => {
    if (isSignatureHeader(req.get("x-hub-signature-256"))) return next();
    deps.logger.warn({ ip: req.ip }, "webhook rejected: missing or malformed signature header");
    res.set("connection", "close").sendStatus(401);
    deps.metrics.webhookAck.observe({ status: "401" }, 0);
  };
  const rawBody = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  router.post("/webhook", requireSignatureHeader, rawBody, async (req, res) => {
    const started = process.hrtime.bigint();
    const finish = (status: number) => {
      deps.metrics.webhookAck.observe(
        { status: String(status) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    };
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifySignature(raw, req.get("x-hub-signature-256"), deps.appSecret);
    if (!check.ok) {
      deps.logger.warn(
        { reason: check.reason, bytes: raw.length, ip: req.ip },
        "webhook rejected: bad signature",
      );
      res.sendStatus(401);
      finish(401);
      return;
    }
    let json: unknown;
    try {
      json = sanitizeJson(JSON.parse(raw.toString("utf8")));
    } catch {
      deps.logger.warn({ bytes: raw.length }, "webhook rejected: malformed JSON");
      res.status(400).json({ error: "malformed JSON" });
      finish(400);
      return;
    }
    if (json === undefined) {
      deps.logger.warn({ bytes: raw.length }, "webhook rejected: JSON nested too deep");
      res.status(400).json({ error: "JSON nested too deep" });
      finish(400);
      return;
    }
    const parsed = parseWebhook(json, deps.now());
    try {
      const stored = await deps.store({ rawBody: raw, parsed });
      res.sendStatus(200);
      finish(200);
      deps.metrics.webhookItems.inc({ kind: "message", outcome: "new" }, stored.newMessages);
      deps.metrics.webhookItems.inc({ kind: "message", outcome: "duplicate" }, stored.duplicateMessages);
      deps.metrics.webhookItems.inc({ kind: "status", outcome: "new" }, stored.newStatuses);
      if (!parsed.recognised)
        deps.logger.warn({ eventId: stored.eventId }, "webhook stored but not recognised");
      for (const c of parsed.changes) {
        if (c.kind === "unrecognised")
          deps.logger.warn({ eventId: stored.eventId, reason: c.reason }, "unrecognised item");
      }
      deps.logger.debug(
        {
          eventId: stored.eventId,
          kinds: stored.kinds,
          newMessages: stored.newMessages,
          dup: stored.duplicateMessages,
        },
        "webhook stored",
      );
    } catch (err) {
      deps.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        "webhook not stored; asking Meta to retry",
      );
      if (!res.headersSent) res.sendStatus(503);
      finish(503);
    }
  });
  return router;
}
