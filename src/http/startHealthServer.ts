import express from "express";
import type { Config } from "../config/loadConfig.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import { healthRoutes, type Readiness } from "./healthRoutes.ts";
import { listen } from "./listen.ts";

/**
 * A ROLE=worker process has no webhook or console, but the image's HEALTHCHECK (and Coolify, and
 * Kubernetes) still asks `/readyz` on PORT: it answers `/healthz`, `/readyz` and `/metrics` only.
 */
export async function startHealthServer(p: {
  config: Pick<Config, "PORT" | "HOST">;
  readiness: Readiness;
  metrics: Metrics;
}): Promise<{ url: string; stop: () => Promise<void> }> {
  const app = express();
  app.disable("x-powered-by");
  app.use(healthRoutes(p.readiness, p.metrics));
  return listen(app, p.config);
}
