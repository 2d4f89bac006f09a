import { z } from "zod";

/** A console API client that keeps its session cookie and CSRF token, like the page does. */
export type ConsoleClient = {
  login: (operator: string, password: string, forwardedFor?: string) => Promise<Response>;
  get: (path: string) => Promise<Response>;
  send: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
  json: <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ) => Promise<{ status: number; body: T }>;
  cookie: () => string | undefined;
};

export function consoleClient(baseUrl: string): ConsoleClient {
  let cookie: string | undefined;
  let csrf = "";
  const remember = (res: Response) => {
    const set = res.headers.get("set-cookie");
    const match = set?.match(/wa_console=([^;]*)/);
    if (match) cookie = `wa_console=${match[1]}`;
  };
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const raw = Buffer.isBuffer(body);
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(method !== "GET" ? { "x-csrf-token": csrf } : {}),
        ...(body !== undefined && !raw ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: raw ? new Uint8Array(body) : JSON.stringify(body) } : {}),
    });
    remember(res);
    return res;
  };
  return {
    async login(operator, password, forwardedFor) {
      const res = await send(
        "POST",
        "/console/api/login",
        { operator, password },
        forwardedFor ? { "x-forwarded-for": forwardedFor } : {},
      );
      if (res.status === 200) {
        csrf = z.object({ csrf: z.string() }).parse(await res.clone().json()).csrf;
      }
      return res;
    },
    get: (path) => send("GET", path),
    send,
    async json(method, path, body) {
      const res = await send(method, path, body);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    },
    cookie: () => cookie,
  };
}
