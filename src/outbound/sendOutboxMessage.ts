import type pg from "pg";
import type { Logger } from "pino";
import type { Config } from "../config/loadConfig.ts";
import { prepared } from "../db/prepared.ts";
import type { Queryable } from "../db/withTransaction.ts";
import { withTransaction } from "../db/withTransaction.ts";
import { RE_ENGAGEMENT_ERROR } from "../delivery/actOnFailedStatuses.ts";
import { callbackDataFor, type OutboxStatus } from "../delivery/advanceStatus.ts";
import { applyStatusEvents } from "../delivery/applyStatusEvents.ts";
import { recordDeliveryProblems } from "../delivery/recordDeliveryProblem.ts";
import type { Metrics } from "../ops/createMetrics.ts";
import { addJob } from "../queue/addJob.ts";
import { classifySendFailure, GraphApiError } from "../whatsapp/graphErrors.ts";
import { type OutboundMessage, outboundMessageSchema } from "../whatsapp/outboundMessage.ts";
import type { WhatsAppTransport } from "../whatsapp/transport.ts";
import { decideSendPolicy } from "./decideSendPolicy.ts";
import { pairLimitDelay, retryDelay } from "./retryDelay.ts";
import { type Bucket, takeToken } from "./takeToken.ts";

export type SendDeps = {
  pool: pg.Pool;
  logger: Logger;
  transport: WhatsAppTransport;
  metrics: Metrics;
  config: Pick<
    Config,
    | "SEND_RATE_PER_SECOND"
    | "PAIR_RATE_BURST"
    | "PAIR_RATE_INTERVAL_MS"
    | "SEND_MAX_ATTEMPTS"
    | "SEND_RETRY_FOR_MS"
    | "SEND_RETRY_BASE_MS"
    | "SEND_RETRY_MAX_MS"
    | "SEND_CONFIRM_TIMEOUT_MS"
    | "SEND_UNCONFIRMED_LIMIT_MS"
  >;
  now: () => Date;
  /** The conversation clock (the 24-hour window); the story runner's fake clock in stories. */
  conversationNow?: () => Date;
  random: () => number;
};

type OutboxRow = {
  id: number;
  conversation_id: number;
  seq: number;
  phone_number_id: string;
  recipient: string;
  payload: unknown;
  status: OutboxStatus;
  attempts: number;
  send_started_at: Date | null;
  error_code: number | null;
  proactive: boolean;
  fallback: unknown;
  last_inbound_at: Date | null;
  opted_out: boolean;
  created_at: Date;
};

export type SendOutcome =
  | "sent"
  | "already_done"
  | "waiting_for_earlier"
  | "waiting_for_confirmation"
  | "reconciled"
  | "rate_limited"
  | "retry_scheduled"
  | "failed"
  | "dropped"
  | "dead";

/**
 * Sends one outbox row at most once per intent. Before calling Meta the row is marked `sending`
 * (committed); the outbox id travels as biz_opaque_callback_data. A row found `sending` (a crash or
 * an ambiguous timeout) is only sent again after SEND_CONFIRM_TIMEOUT_MS with no status callback.
 * Rows of one conversation go out in order; rate limits are token buckets shared in Postgres.
 */
export async function sendOutboxMessage(deps: SendDeps, outboxId: number): Promise<SendOutcome> {
  const claim = await withTransaction(deps.pool, (db) => claimForSending(deps, db, outboxId));
  if (claim.kind !== "send") return claim.outcome;
  const { row, message } = claim;
  const log = deps.logger.child({ conversationId: row.conversation_id, outboxId });
  let wamid: string;
  try {
    ({ wamid } = await deps.transport.sendMessage({
      phoneNumberId: row.phone_number_id,
      recipient: row.recipient,
      message,
      callbackData: callbackDataFor(row.id),
    }));
  } catch (err) {
    return withTransaction(deps.pool, (db) => recordFailure(deps, db, row, err, log));
  }
  await withTransaction(deps.pool, async (db) => {
    // Record the wamid and, in the same statement, learn whether statuses for it arrived before
    // we knew it and which row of the conversation goes next.
    const { rows } = await db.query<{ early: number; next_id: number | null }>(
      prepared(
        `with u as (
           update outbox set wamid = $2, sent_at = coalesce(sent_at, $3), updated_at = now(),
                  status = case when status = 'sending' then 'sent' else status end
            where id = $1)
         select (select count(*) from status_events where wamid = $2)::int as early,
                (select id from outbox where conversation_id = $4 and seq > $5 and status = 'pending'
                  order by seq limit 1) as next_id`,
        [row.id, wamid, deps.now(), row.conversation_id, row.seq],
      ),
    );
    const r = rows[0];
    if (r && r.early > 0) await reapplyStatuses(db, wamid);
    if (r?.next_id)
      await addJob(db, "send_message", { outboxId: r.next_id }, { jobKey: `send:${r.next_id}` });
  });
  deps.metrics.outboundResults.inc({ result: "sent", code: "" });
  log.info({ wamid, attempt: row.attempts + 1, transport: deps.transport.name }, "message sent");
  return "sent";
}

/** How soon a row waiting behind an earlier one checks again by itself (the wake-up is the fast path). */
const EARLIER_RECHECK_MS = 10_000;

type Claim =
  | { kind: "done"; outcome: SendOutcome }
  | { kind: "send"; row: OutboxRow; message: OutboundMessage };

async function claimForSending(deps: SendDeps, db: Queryable, outboxId: number): Promise<Claim> {
  const now = deps.now();
  const { rows } = await db.query<OutboxRow & { earlier: boolean }>(
    prepared(
      `select o.id, o.conversation_id, o.seq, o.phone_number_id, o.recipient, o.payload, o.status, o.attempts,
              o.send_started_at, o.error_code, o.proactive, o.fallback, o.created_at, c.last_inbound_at,
              c.opted_out_at is not null as opted_out,
              exists (select 1 from outbox e where e.conversation_id = o.conversation_id and e.seq < o.seq
                        and e.status in ('pending', 'sending')) as earlier
         from outbox o join conversations c on c.id = o.conversation_id where o.id = $1 for update of o`,
      [outboxId],
    ),
  );
  const row = rows[0];
  if (!row) return done("already_done");
  if (row.status !== "pending" && row.status !== "sending") {
    // Settled meanwhile (e.g. a status webhook confirmed a send whose answer we lost): the next
    // row of the conversation may be waiting for this one.
    await enqueueNext(db, row);
    return done("already_done");
  }
  // The earlier row's sender enqueues this one when it finishes. Its finishing transaction may be
  // committing right now with a snapshot from before this row existed, and miss it: so this row
  // also looks again on its own a little later (locking the earlier rows instead would order
  // locks against the status webhooks' updates and deadlock).
  if (row.earlier) {
    await addJob(
      db,
      "send_message",
      { outboxId },
      { jobKey: `send:${outboxId}`, delayMs: EARLIER_RECHECK_MS },
    );
    return done("waiting_for_earlier");
  }

  if (row.status === "sending" && row.send_started_at) {
    const waitMs = row.send_started_at.getTime() + deps.config.SEND_CONFIRM_TIMEOUT_MS - now.getTime();
    if (waitMs > 0) {
      await addJob(db, "send_message", { outboxId }, { jobKey: `send:${outboxId}`, delayMs: waitMs });
      return done("waiting_for_confirmation");
    }
    // Unconfirmed for too long: if Meta reported it (our callback data came back), it was sent.
    const seen = await db.query<{ wamid: string }>(
      `select wamid from status_events
        where callback_data = $1 and wamid <> all(select unnest(retired_wamids) from outbox where id = $2)
        order by id limit 1`,
      [callbackDataFor(row.id), row.id],
    );
    const wamid = seen.rows[0]?.wamid;
    if (wamid) {
      await db.query(
        `update outbox set wamid = $2, status = case when status = 'sending' then 'sent' else status end,
                updated_at = now() where id = $1`,
        [row.id, wamid],
      );
      await reapplyStatuses(db, wamid);
      await enqueueNext(db, row);
      return done("reconciled");
    }
    const verdict = await judgeUnconfirmed(deps, db, row, now);
    if (verdict !== "resend") return done(verdict);
  }

  if (givenUp(row, deps.config, now)) {
    await db.query("update outbox set status = 'dead', updated_at = now() where id = $1", [row.id]);
    await enqueueNext(db, row);
    deps.metrics.outboundResults.inc({ result: "dead", code: String(row.error_code ?? "") });
    return done("dead");
  }

  const parsed = outboundMessageSchema.safeParse(row.payload);
  if (!parsed.success) {
    await db.query(
      `update outbox set status = 'failed', error_title = 'invalid outbox payload', error_details = $2,
              updated_at = now() where id = $1`,
      [row.id, parsed.error.message.slice(0, 1000)],
    );
    await enqueueNext(db, row);
    return done("failed");
  }

  // The WhatsApp policy, at the last moment: the window may have closed while the row waited.
  const fallback = row.fallback === null ? undefined : outboundMessageSchema.safeParse(row.fallback);
  const policy = decideSendPolicy({
    message: parsed.data,
    proactive: row.proactive,
    fallback: fallback?.success ? fallback.data : undefined,
    lastInboundAt: row.last_inbound_at,
    optedOut: row.opted_out,
    now: (deps.conversationNow ?? deps.now)(),
  });
  if (policy.kind === "drop") {
    await db.query(
      "update outbox set status = 'dropped', dropped_reason = $2, updated_at = now() where id = $1",
      [row.id, policy.reason],
    );
    await enqueueNext(db, row);
    deps.metrics.outboundResults.inc({ result: "dropped", code: "" });
    deps.logger.warn(
      { outboxId: row.id, conversationId: row.conversation_id, reason: policy.reason },
      "message dropped",
    );
    return done("dropped");
  }
  if (policy.converted) {
    await db.query("update outbox set payload = $2, kind = 'template', updated_at = now() where id = $1", [
      row.id,
      JSON.stringify(policy.message),
    ]);
    deps.logger.info({ outboxId: row.id }, "outside the 24-hour window: sent as the fallback template");
  }
  if (policy.message.type === "template" && deps.transport.name === "graph") {
    // Fail clearly here rather than let Meta reject it: a template Meta has not approved.
    const known = await db.query<{ status: string }>(
      "select status from template_status where name = $1 and language = $2",
      [policy.message.name, policy.message.language],
    );
    const status = known.rows[0]?.status;
    if (status !== undefined && status !== "APPROVED") {
      await db.query(
        `update outbox set status = 'failed', error_title = $2, updated_at = now() where id = $1`,
        [
          row.id,
          `template ${policy.message.name} (${policy.message.language}) is not approved by Meta: ${status}`,
        ],
      );
      await enqueueNext(db, row);
      deps.metrics.outboundResults.inc({ result: "failed", code: "template_not_approved" });
      deps.logger.error(
        { outboxId: row.id, template: policy.message.name, status },
        "template not approved; not sent",
      );
      return done("failed");
    }
  }
  const waitMs = await takeSendTokens(deps, db, row, now);
  if (waitMs > 0) {
    await addJob(db, "send_message", { outboxId }, { jobKey: `send:${outboxId}`, delayMs: waitMs });
    deps.metrics.outboundResults.inc({ result: "rate_limited", code: "" });
    return done("rate_limited");
  }
  await db.query(
    prepared(
      `update outbox set status = 'sending', send_started_at = $2, attempts = attempts + 1, updated_at = now()
        where id = $1`,
      [row.id, now],
    ),
  );
  return { kind: "send", row, message: policy.message };
}

/**
 * The ambiguity policy for a send we could not classify (timeout, reset, a 5xx page, a crash
 * between the call and its commit) and that Meta has not reported on since: Meta may have taken
 * it. It is resent only on evidence that Meta did not: statuses arrived for a message of the same
 * business number sent after ours, while ours stays silent. Without evidence it waits (another
 * look after SEND_CONFIRM_TIMEOUT_MS); after SEND_UNCONFIRMED_LIMIT_MS it is handed to an operator
 * (dead, the conversation flagged for attention) rather than resent blindly, and the
 * conversation's later replies go on.
 */
async function judgeUnconfirmed(
  deps: SendDeps,
  db: Queryable,
  row: OutboxRow,
  now: Date,
): Promise<"resend" | "waiting_for_confirmation" | "dead"> {
  const startedAt = row.send_started_at ?? now;
  const { rows } = await db.query<{ evidence: boolean }>(
    `select exists (
       select 1 from outbox later join status_events e on e.wamid = later.wamid
        where later.phone_number_id = $1 and later.id <> $2 and later.send_started_at > $3) as evidence`,
    [row.phone_number_id, row.id, startedAt],
  );
  if (rows[0]?.evidence) return "resend";
  if (now.getTime() - startedAt.getTime() < deps.config.SEND_UNCONFIRMED_LIMIT_MS) {
    await addJob(
      db,
      "send_message",
      { outboxId: row.id },
      { jobKey: `send:${row.id}`, delayMs: deps.config.SEND_CONFIRM_TIMEOUT_MS },
    );
    return "waiting_for_confirmation";
  }
  await db.query(
    `update outbox set status = 'dead', updated_at = now(),
            error_title = 'unconfirmed: Meta neither answered nor reported this message; not resent'
      where id = $1`,
    [row.id],
  );
  await db.query(
    `update conversations set attention_at = coalesce(attention_at, now()),
            attention_reason = coalesce(attention_reason, 'a reply may not have reached the customer (unconfirmed send)')
      where id = $1`,
    [row.conversation_id],
  );
  await enqueueNext(db, row);
  deps.metrics.outboundResults.inc({ result: "unconfirmed_dead", code: "" });
  deps.logger.error(
    { outboxId: row.id, conversationId: row.conversation_id },
    "unconfirmed send handed to an operator",
  );
  return "dead";
}

/**
 * A reply tried at least once and still failing after SEND_RETRY_FOR_MS (or SEND_MAX_ATTEMPTS
 * tries, when set) is given up.
 */
export function givenUp(
  row: Pick<OutboxRow, "attempts" | "created_at">,
  config: Pick<Config, "SEND_RETRY_FOR_MS" | "SEND_MAX_ATTEMPTS">,
  now: Date,
): boolean {
  if (row.attempts === 0) return false;
  if (config.SEND_MAX_ATTEMPTS !== undefined && row.attempts >= config.SEND_MAX_ATTEMPTS) return true;
  return now.getTime() - row.created_at.getTime() >= config.SEND_RETRY_FOR_MS;
}

function done(outcome: SendOutcome): Claim {
  return { kind: "done", outcome };
}

async function recordFailure(
  deps: SendDeps,
  db: Queryable,
  row: OutboxRow,
  err: unknown,
  log: Logger,
): Promise<SendOutcome> {
  const failure = classifySendFailure(err);
  const code = err instanceof GraphApiError ? err.code : undefined;
  const title = err instanceof Error ? err.message.slice(0, 500) : String(err);
  const details = err instanceof GraphApiError ? (err.details ?? null) : null;
  const attempt = row.attempts + 1;
  deps.metrics.outboundResults.inc({ result: failure, code: String(code ?? "") });
  if (code === RE_ENGAGEMENT_ERROR && row.fallback !== null && !row.opted_out) {
    // Meta says the window is closed (its clock and ours disagree): send the fallback template.
    const fallback = outboundMessageSchema.safeParse(row.fallback);
    if (fallback.success && fallback.data.type === "template") {
      await db.query(
        `update outbox set status = 'pending', payload = $2, kind = 'template', fallback = null, attempts = 0,
                error_code = $3, error_title = $4, updated_at = now() where id = $1 and status = 'sending'`,
        [row.id, JSON.stringify(fallback.data), code, title],
      );
      await addJob(db, "send_message", { outboxId: row.id }, { jobKey: `send:${row.id}` });
      log.warn({ code }, "131047 re-engagement required: retrying as the fallback template");
      return "retry_scheduled";
    }
  }
  if (failure === "permanent") {
    await recordDeliveryProblems(db, [{ outboxId: row.id, code }]);
    await db.query(
      `update outbox set status = 'failed', error_code = $2, error_title = $3, error_details = $4, updated_at = now()
        where id = $1 and status = 'sending'`,
      [row.id, code ?? null, title, details],
    );
    await enqueueNext(db, row);
    log.warn({ code, details, attempt }, "send failed permanently");
    return "failed";
  }
  if (failure === "unconfirmed") {
    // Maybe accepted by Meta: keep `sending`; decide after the confirmation timeout.
    await db.query(`update outbox set error_title = $2, updated_at = now() where id = $1`, [row.id, title]);
    await addJob(
      db,
      "send_message",
      { outboxId: row.id },
      { jobKey: `send:${row.id}`, delayMs: deps.config.SEND_CONFIRM_TIMEOUT_MS },
    );
    log.warn({ attempt, err: title }, "send unconfirmed; waiting for a status callback");
    return "waiting_for_confirmation";
  }
  const delayMs =
    failure === "pair_limit"
      ? pairLimitDelay(attempt, deps.config.SEND_RETRY_MAX_MS)
      : retryDelay(attempt, deps.config.SEND_RETRY_BASE_MS, deps.config.SEND_RETRY_MAX_MS, deps.random());
  await db.query(
    `update outbox set status = 'pending', error_code = $2, error_title = $3, error_details = $4,
            next_attempt_at = now() + $5 * interval '1 millisecond', updated_at = now()
      where id = $1 and status = 'sending'`,
    [row.id, code ?? null, title, details, delayMs],
  );
  await addJob(db, "send_message", { outboxId: row.id }, { jobKey: `send:${row.id}`, delayMs });
  log.warn({ code, attempt, delayMs, failure }, "send failed; retry scheduled");
  return "retry_scheduled";
}

/** A status may have arrived (by wamid) before we stored the wamid; apply what we missed. */
async function reapplyStatuses(db: Queryable, wamid: string): Promise<void> {
  const { rows } = await db.query<{
    wamid: string;
    status: string;
    status_at: Date;
    callback_data: string | null;
    errors: unknown[] | null;
  }>(
    "select wamid, status, status_at, callback_data, errors from status_events where wamid = $1 order by id",
    [wamid],
  );
  await applyStatusEvents(
    db,
    rows.map((r) => ({
      wamid: r.wamid,
      status: r.status,
      statusAt: r.status_at,
      callbackData: r.callback_data ?? undefined,
      errors: r.errors ?? undefined,
    })),
  );
}

async function enqueueNext(db: Queryable, row: Pick<OutboxRow, "conversation_id" | "seq">): Promise<void> {
  const { rows } = await db.query<{ id: number }>(
    `select id from outbox where conversation_id = $1 and seq > $2 and status = 'pending' order by seq limit 1`,
    [row.conversation_id, row.seq],
  );
  const next = rows[0];
  if (next) await addJob(db, "send_message", { outboxId: next.id }, { jobKey: `send:${next.id}` });
}

/**
 * A bucket lets through at most capacity + refill × window in any window, so "80 per second" is
 * held by design with a burst of a tenth of a second and a refill of the other nine tenths:
 * never more than `rate` sends in any sliding second.
 */
export function numberBucket(phoneNumberId: string, rate: number) {
  const capacity = Math.max(1, Math.floor(rate / 10));
  const refillPerSecond = Math.max(1, rate - capacity);
  return { key: `number:${phoneNumberId}`, capacity, intervalMs: 1000 / refillPerSecond };
}

/**
 * Takes one token from the customer's pair bucket and one from the per-number bucket, or neither.
 * Returns 0 when sending may proceed, else how long to wait. Each take is one upsert, done last in
 * the claim transaction: the per-number row is shared by every send, so it must stay locked only
 * for the commit (measured: holding it across the whole claim capped sends near 100/s).
 */
async function takeSendTokens(deps: SendDeps, db: Queryable, row: OutboxRow, now: Date): Promise<number> {
  const buckets = [
    {
      key: `pair:${row.phone_number_id}:${row.recipient}`,
      capacity: deps.config.PAIR_RATE_BURST,
      intervalMs: deps.config.PAIR_RATE_INTERVAL_MS,
    },
    numberBucket(row.phone_number_id, deps.config.SEND_RATE_PER_SECOND),
  ];
  // Both buckets in one statement; a bucket only changes where it has a token.
  const taken = await db.query<{ key: string }>(
    prepared(
      `insert into rate_buckets as b (key, tokens, updated_at)
       select k, c - 1, $4::timestamptz from unnest($1::text[], $2::float8[], $3::float8[]) as x(k, c, i)
       on conflict (key) do update
          set tokens = least(excluded.tokens + 1, b.tokens + greatest(0, extract(epoch from ($4::timestamptz - b.updated_at)) * 1000)
                       / (select i from unnest($1::text[], $3::float8[]) as y(k, i) where y.k = b.key)) - 1,
              updated_at = greatest(b.updated_at, $4::timestamptz)
        where least(excluded.tokens + 1, b.tokens + greatest(0, extract(epoch from ($4::timestamptz - b.updated_at)) * 1000)
                    / (select i from unnest($1::text[], $3::float8[]) as y(k, i) where y.k = b.key)) >= 1
       returning key`,
      [buckets.map((b) => b.key), buckets.map((b) => b.capacity), buckets.map((b) => b.intervalMs), now],
    ),
  );
  if (taken.rowCount === buckets.length) return 0;
  // Denied somewhere: give back what was taken, and work out the wait with the same pure rule.
  const got = new Set(taken.rows.map((r) => r.key));
  let waitMs = 1;
  for (const b of buckets) {
    if (got.has(b.key)) {
      await db.query("update rate_buckets set tokens = least($2::float8, tokens + 1) where key = $1", [
        b.key,
        b.capacity,
      ]);
      continue;
    }
    const { rows } = await db.query<{ tokens: number; updated_at: Date }>(
      "select tokens, updated_at from rate_buckets where key = $1",
      [b.key],
    );
    const current = rows[0];
    const bucket: Bucket | undefined = current
      ? { tokens: current.tokens, updatedAt: current.updated_at.getTime() }
      : undefined;
    const decision = takeToken(bucket, now.getTime(), b.capacity, b.intervalMs);
    waitMs = Math.max(waitMs, decision.ok ? 1 : decision.waitMs);
  }
  return waitMs;
}
