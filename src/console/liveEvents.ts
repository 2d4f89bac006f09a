import type { Request, RequestHandler, Response } from "express";
import type pg from "pg";
import type { Logger } from "pino";

type Change = { conversationIds: number[]; leads: boolean; jobs: boolean };

/**
 * How far back each poll looks. Row times are transaction start times (now()), so a turn that
 * commits after a poll carries a time from before it; looking back this far (longer than a turn
 * may run, TURN_TIMEOUT_MS) and remembering what was already reported catches it, once.
 */
const LOOKBACK_SECONDS = 60;

/**
 * Server-sent events for the console. One poller per process, running only while a page listens,
 * asks the database what changed (messages, turns, statuses, files read, operator actions, dead
 * jobs) and tells every open page. Polling the database, not in-process events, so changes made by
 * a worker in another process show up too. Each table is looked at through its newest rows only (a
 * primary-key range), so a poll costs the same on a database with years of history.
 */
/** How often an open stream checks that its session is still valid (logout, password change). */
const SESSION_CHECK_MS = 5000;

export function createLiveEvents(options: {
  pool: pg.Pool;
  logger: Logger;
  pollMs: number;
  /** Whether the request's session is still valid: a stream outlives neither a logout nor a password change. */
  stillSignedIn?: (req: Request) => Promise<boolean>;
  sessionCheckMs?: number;
}) {
  const clients = new Map<Response, (change: Change) => void>();
  let timer: NodeJS.Timeout | undefined;
  /** Row versions already reported, with the time they were first seen (forgotten after the lookback). */
  const reported = new Map<string, number>();
  let lastDead = -1;
  let closed = false;

  const poll = async () => {
    const { rows } = await options.pool.query<{ key: string; conversation_id: number }>(
      `select key, conversation_id::int from (
         select 'i' || id as key, conversation_id from inbound_messages
          where id > (select coalesce(max(id), 0) - 2000 from inbound_messages) and received_at > now() - $1::interval
         union all select 't' || id, conversation_id from turns
          where id > (select coalesce(max(id), 0) - 2000 from turns) and finished_at > now() - $1::interval
         union all select 'o' || id || '@' || updated_at, conversation_id from outbox
          where id > (select coalesce(max(id), 0) - 5000 from outbox) and updated_at > now() - $1::interval
         union all select 'm' || id || '@' || processed_at, conversation_id from media
          where id > (select coalesce(max(id), 0) - 2000 from media) and processed_at > now() - $1::interval
         union all select 'e' || id, conversation_id from operator_events
          where id > (select coalesce(max(id), 0) - 2000 from operator_events) and at > now() - $1::interval
            and conversation_id is not null
         union all select 'd', count(*)::int from graphile_worker.jobs where attempts >= max_attempts) x`,
      [`${LOOKBACK_SECONDS} seconds`],
    );
    const now = Date.now();
    const ids = new Set<number>();
    let dead = 0;
    for (const r of rows) {
      if (r.key === "d") {
        dead = r.conversation_id;
        continue;
      }
      if (!reported.has(r.key)) {
        reported.set(r.key, now);
        ids.add(r.conversation_id);
      }
    }
    for (const [key, at] of reported) if (now - at > 2 * LOOKBACK_SECONDS * 1000) reported.delete(key);
    const first = lastDead === -1;
    const change: Change = {
      conversationIds: first ? [] : [...ids],
      // Leads change only in turns and operator actions, both of which name their conversation.
      leads: !first && ids.size > 0,
      jobs: !first && dead !== lastDead,
    };
    lastDead = dead;
    if (change.conversationIds.length > 0 || change.jobs) for (const send of clients.values()) send(change);
  };

  const schedule = () => {
    timer = setTimeout(() => {
      poll()
        .catch((err: unknown) => options.logger.warn({ err: String(err) }, "console live poll failed"))
        .finally(() => {
          if (clients.size > 0 && !closed) schedule();
          else timer = undefined;
        });
    }, options.pollMs);
    timer.unref();
  };

  const handler: RequestHandler = (req, res) => {
    if (closed) {
      res.status(503).json({ error: "shutting down" });
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    clients.set(res, (change) => res.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`));
    // Proxies close idle streams; a comment every 15 s keeps it open.
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    ping.unref();
    const check = options.stillSignedIn;
    const recheck = check
      ? setInterval(() => {
          check(req).then(
            (ok) => {
              if (!ok) res.end();
            },
            () => undefined,
          );
        }, options.sessionCheckMs ?? SESSION_CHECK_MS)
      : undefined;
    recheck?.unref();
    req.on("close", () => {
      clearInterval(ping);
      clearInterval(recheck);
      clients.delete(res);
    });
    if (!timer) schedule();
  };

  return {
    handler,
    /** Ends every open stream (a shutdown must not wait for browsers to hang up). */
    close(): void {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      for (const res of clients.keys()) res.end();
      clients.clear();
    },
  };
}
