import { once } from "node:events";
import express from "express";
import type { Config } from "../config/loadConfig.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import { healthRoutes, type Readiness } from "./healthRoutes.ts";

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
  const server = app.listen(p.config.PORT, p.config.HOST);
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : p.config.PORT;
  return {
    url: `http://${p.config.HOST === "0.0.0.0" ? "127.0.0.1" : p.config.HOST}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
