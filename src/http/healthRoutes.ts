import express, { type Router } from "express";
import type { Metrics } from "../ops/createMetrics.ts";

export type Readiness = () => Promise<{ ok: boolean; checks: Record<string, boolean | string> }>;

/** `/healthz` (the process answers), `/readyz` (it can do its work) and `/metrics`, for every role. */
export function healthRoutes(readiness: Readiness, metrics: Metrics): Router {
  const router = express.Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "pass" });
  });
  router.get("/readyz", async (_req, res) => {
    const r = await readiness();
    res.status(r.ok ? 200 : 503).json({ status: r.ok ? "pass" : "fail", checks: r.checks });
  });
  router.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
