import type { Server } from "node:http";
import type { Express } from "express";
import type { Config } from "../config/loadConfig.ts";

/** How long a shutdown waits for requests in progress before closing their connections. */
const STOP_GRACE_MS = 5000;

/**
 * Serves `app` on PORT/HOST (0 picks a free port) and says where; `stop` lets requests in
 * progress finish, then closes what is left.
 */
export async function listen(
  app: Express,
  config: Pick<Config, "PORT" | "HOST">,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  return {
    url: `http://${config.HOST === "0.0.0.0" ? "127.0.0.1" : config.HOST}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A client that never finishes its request (or a keep-alive socket that turns busy) must
        // not hold the shutdown until Node's 5-minute request timeout: after a grace period, cut it.
        setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS).unref();
      }),
  };
}
