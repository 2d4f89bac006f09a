import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeSupabaseFailure = { status: number; body: unknown };

const COLUMNS = new Set([
  "id",
  "conversation_id",
  "agent_id",
  "outcome",
  "wa_id",
  "name",
  "city",
  "state",
  "distributor",
  "customer_type",
  "monthly_bill_brl",
  "score",
  "slots",
  "details",
  "created_at",
  "updated_at",
]);

/**
 * A fake Supabase Data API (PostgREST) on 127.0.0.1 for the leads table: `POST /rest/v1/leads`
 * with `on_conflict` and `Prefer: resolution=merge-duplicates` upserts by primary key, answering
 * like PostgREST (201, and its error bodies {code, details, hint, message} with the real codes:
 * 401 bad key, 404 PGRST205 unknown table, 400 PGRST204 unknown column, scripted 503 / 42501).
 */
export async function startFakeSupabase(options: { key: string; table?: string }) {
  const table = options.table ?? "leads";
  const rows = new Map<number, Record<string, unknown>>();
  const requests: {
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
    body: unknown;
  }[] = [];
  const failures: FakeSupabaseFailure[] = [];
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => {
      raw += String(c);
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const reply = (status: number, body?: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body === undefined ? "" : JSON.stringify(body));
      };
      const body: unknown = raw ? JSON.parse(raw) : undefined;
      requests.push({
        method: req.method ?? "",
        path: url.pathname + url.search,
        headers: req.headers,
        body,
      });
      if (req.headers.apikey !== options.key) {
        reply(401, {
          code: "",
          details: null,
          hint: "Double check your Supabase `anon` or `service_role` API key.",
          message: "Invalid API key",
        });
        return;
      }
      const failure = failures.shift();
      if (failure) {
        reply(failure.status, failure.body);
        return;
      }
      if (url.pathname !== `/rest/v1/${table}`) {
        const name = url.pathname.replace("/rest/v1/", "");
        reply(404, {
          code: "PGRST205",
          details: null,
          hint: null,
          message: `Could not find the table 'public.${name}' in the schema cache`,
        });
        return;
      }
      if (req.method === "DELETE") {
        const id = /^eq\.(\d+)$/.exec(url.searchParams.get("id") ?? "")?.[1];
        if (!id) {
          reply(400, { code: "PGRST100", details: null, hint: null, message: "a delete needs id=eq.<id>" });
          return;
        }
        rows.delete(Number(id));
        reply(204);
        return;
      }
      if (
        req.method !== "POST" ||
        url.searchParams.get("on_conflict") !== "id" ||
        !String(req.headers.prefer).includes("resolution=merge-duplicates")
      ) {
        reply(400, {
          code: "PGRST100",
          details: null,
          hint: null,
          message: "only upserts on id are expected here",
        });
        return;
      }
      const items = Array.isArray(body) ? body : [body];
      for (const item of items) {
        if (!item || typeof item !== "object") {
          reply(400, { code: "PGRST102", details: null, hint: null, message: "Empty or invalid json" });
          return;
        }
        const unknown = Object.keys(item).find((k) => !COLUMNS.has(k));
        if (unknown) {
          reply(400, {
            code: "PGRST204",
            details: null,
            hint: null,
            message: `Could not find the '${unknown}' column of '${table}' in the schema cache`,
          });
          return;
        }
      }
      for (const item of items) {
        const record = item as Record<string, unknown>;
        rows.set(Number(record.id), { ...(rows.get(Number(record.id)) ?? {}), ...record });
      }
      reply(201);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    rows,
    requests,
    /** The next requests fail with these answers, in order. */
    fail: (...answers: FakeSupabaseFailure[]) => failures.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const postgrestErrors = {
  unavailable: {
    status: 503,
    body: {
      code: "PGRST001",
      details: "connection refused",
      hint: null,
      message: "Database client error. Retrying the connection.",
    },
  },
  permissionDenied: {
    status: 403,
    body: {
      code: "42501",
      details: null,
      hint: "Grant the required privileges to the current role with: GRANT INSERT, UPDATE ON public.leads TO service_role;",
      message: "permission denied for table leads",
    },
  },
} satisfies Record<string, FakeSupabaseFailure>;
