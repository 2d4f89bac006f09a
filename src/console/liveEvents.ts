import type { RequestHandler } from "express";
import type pg from "pg";
import type { Logger } from "pino";

type Change = { conversationIds: number[]; leads: boolean; jobs: boolean };

/**
 * Server-sent events for the console. One poller per process, running only while a page listens,
 * asks the database what changed since its last look (messages, turns, statuses, files read,
 * operator actions, dead jobs) and tells every open page. Polling the database, not in-process
 * events, so changes made by a worker in another process show up too.
 */
export function createLiveEvents(options: { pool: pg.Pool; logger: Logger; pollMs: number }) {
  const clients = new Set<(change: Change) => void>();
  let timer: NodeJS.Timeout | undefined;
  let since: Date | undefined;
  let lastDead = -1;

  const poll = async () => {
    const { rows } = await options.pool.query<{
      at: Date;
      ids: number[] | null;
      dead: number;
    }>(
      // Each table is looked at through its newest rows only (a primary-key range), so the poll
      // costs the same on a database with years of history.
      `select now() as at,
              array(select distinct x.id::int from (
                select conversation_id as id from inbound_messages
                 where id > (select coalesce(max(id), 0) - 2000 from inbound_messages) and received_at > $1
                union select conversation_id from turns
                 where id > (select coalesce(max(id), 0) - 2000 from turns) and finished_at > $1
                union select conversation_id from outbox
                 where id > (select coalesce(max(id), 0) - 5000 from outbox) and updated_at > $1
                union select conversation_id from media
                 where id > (select coalesce(max(id), 0) - 2000 from media) and processed_at > $1
                union select conversation_id from operator_events
                 where id > (select coalesce(max(id), 0) - 2000 from operator_events) and at > $1
                   and conversation_id is not null) x) as ids,
              (select count(*)::int from graphile_worker.jobs where attempts >= max_attempts) as dead`,
      [since ?? new Date()],
    );
    const row = rows[0];
    if (!row) return;
    const first = since === undefined;
    since = row.at;
    const ids = row.ids ?? [];
    // Leads change only in turns and operator actions, both of which name their conversation.
    const change: Change = {
      conversationIds: ids,
      leads: ids.length > 0,
      jobs: !first && row.dead !== lastDead,
    };
    lastDead = row.dead;
    if (change.conversationIds.length > 0 || change.leads || change.jobs)
      for (const send of clients) send(change);
  };

  const schedule = () => {
    timer = setTimeout(() => {
      poll()
        .catch((err: unknown) => options.logger.warn({ err: String(err) }, "console live poll failed"))
        .finally(() => {
          if (clients.size > 0) schedule();
          else timer = undefined;
        });
    }, options.pollMs);
    timer.unref();
  };

  const handler: RequestHandler = (req, res) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    const send = (change: Change) => res.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
    clients.add(send);
    // Proxies close idle streams; a comment every 15 s keeps it open.
    const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
    ping.unref();
    req.on("close", () => {
      clearInterval(ping);
      clients.delete(send);
    });
    if (!timer) schedule();
  };

  return {
    handler,
    close(): void {
      clearTimeout(timer);
      timer = undefined;
      clients.clear();
    },
  };
}
