import pg from "pg";
import { signBody } from "../../src/webhook/verifySignature.ts";
import { type FakeGraphApi, startFakeGraphApi } from "../helpers/fakeGraphApi.ts";
import { freePort, type SpawnedService, spawnService, waitForReady } from "../helpers/spawnService.ts";
import { waitFor } from "../helpers/startTestService.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/testDatabase.ts";
import { textWebhook } from "../helpers/webhookPayloads.ts";

export const SECRET = "fault-test-secret-0123456789abcdef";
const TOKEN = "EAAfaulttesttoken0123456789";

export type Cluster = {
  graph: FakeGraphApi;
  db: pg.Pool;
  webUrl: string;
  web: SpawnedService;
  workers: SpawnedService[];
  startWorker: () => SpawnedService;
  /** Posts like Meta: signed, and re-delivered until answered 200. Returns every status seen. */
  deliver: (body: unknown, maxMs?: number, onStatus?: (status: number) => void) => Promise<number[]>;
  stop: () => Promise<void>;
};

/** A web process and worker processes (`node src/main.ts`, ROLE split) against one database and a fake Graph API. */
export async function startCluster(
  env: Record<string, string> = {},
  options: { databaseUrl?: string; workers?: number } = {},
): Promise<Cluster> {
  const database: TestDatabase | undefined = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? database?.url ?? "";
  const graph = await startFakeGraphApi({ accessToken: TOKEN });
  const port = await freePort();
  const webUrl = `http://127.0.0.1:${port}`;
  const common = {
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    DATABASE_URL: databaseUrl,
    WHATSAPP_APP_SECRET: SECRET,
    WHATSAPP_VERIFY_TOKEN: "fault-verify-token-0123456789",
    ADMIN_TOKEN: "fault-admin-token-0123456789abcdef",
    WHATSAPP_ACCESS_TOKEN: TOKEN,
    WHATSAPP_GRAPH_BASE_URL: graph.baseUrl,
    TURN_DEBOUNCE_MS: "50",
    // One echoed reply per turn: what the lost/doubled accounting counts.
    DEFAULT_AGENT: "echo",
    WORKER_POLL_INTERVAL_MS: "200",
    WORKER_STALE_AFTER_MS: "1000",
    GRAPH_TIMEOUT_MS: "1500",
    SEND_CONFIRM_TIMEOUT_MS: "3000",
    SEND_RETRY_BASE_MS: "200",
    SEND_RETRY_MAX_MS: "4000",
    ...env,
  };
  const web = spawnService({ ...common, ROLE: "web", PORT: String(port) });
  await waitForReady(webUrl, 60_000);
  graph.sendStatusWebhooks({ url: `${webUrl}/webhook`, appSecret: SECRET });
  const workers: SpawnedService[] = [];
  const startWorker = () => {
    const w = spawnService({ ...common, ROLE: "worker", PORT: "0" });
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (options.workers ?? 1); i++) startWorker();
  const db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  db.on("error", () => undefined);
  return {
    graph,
    db,
    webUrl,
    web,
    workers,
    startWorker,
    deliver: async (body, maxMs = 60_000, onStatus) => {
      const raw = JSON.stringify(body);
      const headers = { "content-type": "application/json", "x-hub-signature-256": signBody(raw, SECRET) };
      const seen: number[] = [];
      const deadline = Date.now() + maxMs;
      while (Date.now() < deadline) {
        try {
          const res = await fetch(`${webUrl}/webhook`, { method: "POST", headers, body: raw });
          seen.push(res.status);
          onStatus?.(res.status);
          if (res.status === 200) return seen;
        } catch {
          seen.push(0);
          onStatus?.(0);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`webhook never acknowledged: ${seen.join(",")}`);
    },
    stop: async () => {
      await Promise.all([web, ...workers].map((p) => p.stop("SIGTERM")));
      await db.end();
      await graph.close();
      await database?.drop();
    },
  };
}

/** The customer texts that reached the fake Graph API inside echo replies, per text. */
export function echoedTexts(graph: FakeGraphApi): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of graph.sent) {
    const text = s.body.text;
    const body = typeof text === "object" && text !== null && "body" in text ? String(text.body) : "";
    for (const part of body.replace("Recebi sua mensagem: ", "").split(" | ")) {
      counts.set(part, (counts.get(part) ?? 0) + 1);
    }
  }
  return counts;
}

/** Lost = never answered, doubled = answered more than once. */
export function lostAndDoubled(expected: string[], graph: FakeGraphApi) {
  const counts = echoedTexts(graph);
  return {
    lost: expected.filter((t) => !counts.has(t)),
    doubled: expected.filter((t) => (counts.get(t) ?? 0) > 1),
  };
}

export async function waitUntilSettled(
  db: pg.Pool,
  expectedInbound: number,
  timeoutMs = 90_000,
): Promise<void> {
  await waitFor(
    "every inbound message processed and every reply settled",
    async () => {
      const { rows } = await db.query<{ inbound: number; pending: number; unsettled: number }>(
        `select (select count(*)::int from inbound_messages) as inbound,
                (select count(*)::int from inbound_messages where processed_at is null) as pending,
                (select count(*)::int from outbox where status in ('pending', 'sending')) as unsettled`,
      );
      const r = rows[0];
      return r && r.inbound >= expectedInbound && r.pending === 0 && r.unsettled === 0 ? true : undefined;
    },
    timeoutMs,
  );
}

export { textWebhook };
