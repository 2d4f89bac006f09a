import { createHash, createHmac, randomBytes } from "node:crypto";
import express, { type Request, type RequestHandler, type Response, type Router } from "express";
import type pg from "pg";
import { z } from "zod";
import { constantTimeEquals } from "../http/requireAdmin.ts";
import { createLoginLimiter } from "./loginLimiter.ts";

export const SESSION_COOKIE = "wa_console";

export type ConsoleAuthOptions = {
  pool: pg.Pool;
  /** The console password (CONSOLE_PASSWORD, else ADMIN_TOKEN). */
  password: string;
  /** A server secret that is not in the database (the app secret): the key of the password mark. */
  markKey: string;
  /** false only in the local embedded default: a session opens with the start-up login link. */
  loginRequired: boolean;
  /**
   * The local default's login link token (random per start, printed in the start-up log, like a
   * notebook server's): presented by the console page from the link's fragment, it opens a
   * session without the password. Undefined when a login is required.
   */
  localLoginToken?: string | undefined;
  sessionHours: number;
  maxAttempts: number;
  /** Cookies get `Secure` in production even if the proxy does not say https. */
  production: boolean;
  /** What the page shows besides the session (the simulator tab, the transport's name). */
  info: { simulator: boolean; transport: string };
};

export type ConsoleSession = { operator: string; csrf: string };

const loginSchema = z.strictObject({
  operator: z.string().trim().min(1).max(40),
  password: z.string().min(1).max(512),
});

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");
/** A session lives at most this long, however active (sliding expiry inside it). */
const MAX_SESSION_DAYS = 7;

/**
 * Console sessions: a random cookie token (only its hash is stored, in Postgres, so sessions survive
 * restarts and work across replicas), a CSRF token per session required on every state-changing
 * request, and a limit on wrong passwords per address.
 */
export function createConsoleAuth(options: ConsoleAuthOptions) {
  const { pool } = options;
  const windowMs = 15 * 60 * 1000;
  // Per address only, with backoff: a limit over all addresses together let strangers lock every
  // operator out. The address is the socket's, or what a proxy listed in TRUST_PROXY says it is.
  const limiter = createLoginLimiter({ maxFailures: options.maxAttempts, windowMs });
  // Sessions are tied to the password through a keyed mark: a database dump alone is no help in
  // guessing the password (an unkeyed hash was), and a new password ends every session.
  const passwordMark = createHmac("sha256", options.markKey)
    .update(`console:${options.password}`)
    .digest("hex")
    .slice(0, 32);

  const open = async (req: Request, res: Response, operator: string): Promise<ConsoleSession> => {
    const token = randomBytes(32).toString("base64url");
    const csrf = randomBytes(24).toString("base64url");
    await pool.query(
      `insert into console_sessions (token_hash, operator, csrf_token, password_mark, expires_at)
       values ($1, $2, $3, $4, now() + make_interval(hours => $5))`,
      [hashToken(token), operator, csrf, passwordMark, options.sessionHours],
    );
    // Old sessions go as new ones come: no timer needed.
    await pool.query("delete from console_sessions where expires_at < now()");
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: "strict",
      path: "/console",
      secure: options.production || req.secure,
      maxAge: options.sessionHours * 3600 * 1000,
    });
    return { operator, csrf };
  };

  const read = async (req: Request): Promise<ConsoleSession | undefined> => {
    const token = readCookie(req.get("cookie"), SESSION_COOKIE);
    if (!token) return undefined;
    // Sliding expiry, renewed at most once a minute: a page's bursts of reads do not each rewrite
    // the session row.
    const { rows } = await pool.query<{ operator: string; csrf_token: string }>(
      `with s as (
         select operator, csrf_token, last_seen_at from console_sessions
          where token_hash = $1 and expires_at > now() and password_mark = $3
            and created_at > now() - make_interval(days => $4)),
       renewed as (
         update console_sessions set last_seen_at = now(), expires_at = now() + make_interval(hours => $2)
          where token_hash = $1 and (select last_seen_at from s) < now() - interval '1 minute')
       select operator, csrf_token from s`,
      [hashToken(token), options.sessionHours, passwordMark, MAX_SESSION_DAYS],
    );
    const row = rows[0];
    return row ? { operator: row.operator, csrf: row.csrf_token } : undefined;
  };

  /** Session + CSRF guard for the console API; puts the session on res.locals.session. */
  const requireSession: RequestHandler = (req, res, next) => {
    read(req).then((session) => {
      if (!session) {
        res.status(401).json({ error: "Log in to use the console", loginRequired: true });
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        const sent = req.get("x-csrf-token") ?? "";
        if (!sent || !constantTimeEquals(sent, session.csrf)) {
          res.status(403).json({ error: "CSRF token missing or wrong: reload the page" });
          return;
        }
      }
      res.locals.session = session;
      next();
    }, next);
  };

  const json = express.json({ limit: "4kb" });
  const parseLogin: RequestHandler = (req, res, next) => {
    json(req, res, (err?: unknown) => {
      if (err) res.status(400).json({ error: "The request body is not valid JSON" });
      else next();
    });
  };

  const routes = (): Router => {
    const router = express.Router();
    router.get("/console/api/session", async (req, res) => {
      let session = await read(req);
      // The local default opens without a password only for whoever holds the start-up link: no
      // guess from addresses, host names or proxy headers, which a local reverse proxy or another
      // local user meets just as well.
      const presented = req.get("x-console-login") ?? "";
      const token = options.localLoginToken;
      if (!session && token && presented && constantTimeEquals(presented, token))
        session = await open(req, res, "local");
      if (!session) {
        res.status(401).json({
          error: token
            ? "Open the console with the login link printed when the service started, or sign in"
            : "Log in to use the console",
          loginRequired: true,
        });
        return;
      }
      res.json({ ...session, loginRequired: options.loginRequired, ...options.info });
    });
    router.post("/console/api/login", parseLogin, async (req, res) => {
      const address = req.ip ?? req.socket.remoteAddress ?? "unknown";
      const wait = limiter.blockedFor(address, Date.now());
      if (wait > 0) {
        const retryAfterSec = Math.ceil(wait / 1000);
        res
          .status(429)
          .set("retry-after", String(retryAfterSec))
          .json({ error: `Too many wrong passwords. Try again in ${retryAfterSec} s.`, retryAfterSec });
        return;
      }
      const body = loginSchema.safeParse(req.body);
      if (!body.success) {
        res.status(400).json({ error: "Give your name and the console password" });
        return;
      }
      if (!constantTimeEquals(body.data.password, options.password)) {
        limiter.fail(address, Date.now());
        res.status(401).json({ error: "Wrong password" });
        return;
      }
      limiter.succeed(address);
      res.json(await open(req, res, body.data.operator));
    });
    router.post("/console/api/logout", requireSession, async (req, res) => {
      const token = readCookie(req.get("cookie"), SESSION_COOKIE);
      if (token) await pool.query("delete from console_sessions where token_hash = $1", [hashToken(token)]);
      res.clearCookie(SESSION_COOKIE, { path: "/console" });
      res.status(204).end();
    });
    return router;
  };

  return { routes, requireSession, stillSignedIn: async (req: Request) => (await read(req)) !== undefined };
}

/** One cookie's value from a Cookie header (no dependency for one header). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined; // a malformed cookie is no session, not an error
      }
    }
  }
  return undefined;
}

/** The session the guard put on the response. */
export function sessionOf(res: Response): ConsoleSession {
  const parsed = z.object({ operator: z.string(), csrf: z.string() }).safeParse(res.locals.session);
  if (!parsed.success) throw new Error("console route without a session");
  return parsed.data;
}
