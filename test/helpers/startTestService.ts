import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { loadConfig } from "../../src/config/loadConfig.ts";
import { type Service, startService } from "../../src/main.ts";
import { createLogger } from "../../src/ops/createLogger.ts";
import { signBody } from "../../src/webhook/verifySignature.ts";
import { type FakeGraphApi, startFakeGraphApi } from "./fakeGraphApi.ts";
import { createTestDatabase } from "./testDatabase.ts";

export const TEST_APP_SECRET = "test-app-secret-0123456789abcdef";
export const TEST_VERIFY_TOKEN = "test-verify-token-0123456789";
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
export const TEST_ACCESS_TOKEN = "EAAtestaccesstoken0123456789";

export type TestService = {
  service: Service;
  url: string;
  db: pg.Pool;
  /** POSTs a webhook body signed with the test app secret (or the given signature header). */
  post: (body: unknown, options?: { signature?: string | null; raw?: string }) => Promise<Response>;
  admin: (path: string, init?: RequestInit) => Promise<Response>;
  stop: () => Promise<void>;
};

/**
 * The real service (HTTP + worker + database) in this process, on a fresh database, with every
 * external endpoint pointed at fakes on 127.0.0.1.
 */
export async function startTestService(
  env: Record<string, string> = {},
  options: { contentDir?: string } = {},
): Promise<TestService> {
  const database = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: "8",
    DATA_DIR: mkdtempSync(join(tmpdir(), "wa-test-")),
    WHATSAPP_APP_SECRET: TEST_APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    TURN_DEBOUNCE_MS: "100",
    // The spine tests check the path with the project's echo agent (one reply per turn, the text
    // echoed); tests with their own content use its routing.
    ...(options.contentDir ? {} : { DEFAULT_AGENT: "echo" }),
    WORKER_POLL_INTERVAL_MS: "100",
    WORKER_CONCURRENCY: "4",
    SEND_RETRY_BASE_MS: "50",
    SEND_RETRY_MAX_MS: "400",
    ...env,
  });
  const service = await startService(config, {
    logger: createLogger(config.LOG_LEVEL),
    ...(options.contentDir ? { contentDir: options.contentDir } : {}),
  });
  const url = service.url;
  if (!url) throw new Error("service has no HTTP listener");
  const db = new pg.Pool({ connectionString: database.url, max: 4 });
  return {
    service,
    url,
    db,
    post: (body, options = {}) => {
      const raw = options.raw ?? JSON.stringify(body);
      const headers: Record<string, string> = { "content-type": "application/json" };
      const signature = options.signature === undefined ? signBody(raw, TEST_APP_SECRET) : options.signature;
      if (signature !== null) headers["x-hub-signature-256"] = signature;
      return fetch(`${url}/webhook`, { method: "POST", headers, body: raw });
    },
    admin: (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(init.headers ?? {}) },
      }),
    stop: async () => {
      await service.stop();
      await db.end();
      await database.drop();
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/**
 * A test service whose transport is a fake Graph API on 127.0.0.1 (so the real client code runs),
 * both stopped together.
 */
export async function startServiceWithGraph(
  env: Record<string, string> = {},
  options: { contentDir?: string; statusWebhooks?: boolean } = {},
): Promise<{ svc: TestService; graph: FakeGraphApi; stop: () => Promise<void> }> {
  const graph = await startFakeGraphApi({ accessToken: TEST_ACCESS_TOKEN });
  const svc = await startTestService(
    { WHATSAPP_ACCESS_TOKEN: TEST_ACCESS_TOKEN, WHATSAPP_GRAPH_BASE_URL: graph.baseUrl, ...env },
    options.contentDir ? { contentDir: options.contentDir } : {},
  );
  // Like Meta: every accepted send is followed by status webhooks (scriptable per send).
  if (options.statusWebhooks)
    graph.sendStatusWebhooks({ url: `${svc.url}/webhook`, appSecret: TEST_APP_SECRET });
  return {
    svc,
    graph,
    stop: async () => {
      await svc.stop();
      await graph.close();
    },
  };
}

/** The text bodies the fake Graph API accepted for one customer, in the order they arrived. */
export function textsSentTo(graph: FakeGraphApi, customer: string): string[] {
  return graph.sent
    .filter((s) => s.body.to === `+${customer}`)
    .flatMap((s) => {
      const text = s.body.text;
      return typeof text === "object" && text !== null && "body" in text && typeof text.body === "string"
        ? [text.body]
        : [];
    });
}
