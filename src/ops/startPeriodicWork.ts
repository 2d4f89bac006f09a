import { fireDueFollowUps } from "../followups/fireDueFollowUps.ts";
import { sweepStuckOutbox } from "../outbound/sweepStuckOutbox.ts";
import type { WorkerParts } from "../queue/createWorkerTasks.ts";
import { syncTemplates } from "../templates/syncTemplates.ts";
import { purgeExpiredMedia } from "../tools/media/storedMedia.ts";

const MEDIA_PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** How often the outbox is checked for a reply left without a send job. */
const OUTBOX_SWEEP_INTERVAL_MS = 60 * 1000;

/**
 * The worker's timers: follow-ups due on the conversation clock (a table, so they survive restarts
 * and a story's fake clock drives them), media retention, and template approval (pulled at
 * start-up and periodically; webhooks update it in between). A web-only process runs none.
 */
export function startPeriodicWork(
  p: Pick<WorkerParts, "config" | "pool" | "logger" | "content" | "transport" | "metrics" | "clock">,
) {
  const { config, pool, logger } = p;
  const fireFollowUps = () =>
    fireDueFollowUps({
      pool,
      logger,
      agents: p.content.agents,
      templates: p.content.templates,
      now: p.clock,
    });
  const syncTemplateStatus = async () =>
    config.WHATSAPP_WABA_ID
      ? syncTemplates({
          pool,
          logger,
          transport: p.transport,
          wabaId: config.WHATSAPP_WABA_ID,
          registry: p.content.templates,
        })
      : 0;
  const sweepOutbox = async () => {
    const rescued = await sweepStuckOutbox(pool);
    if (rescued > 0) {
      p.metrics.outboxRescued.inc(rescued);
      logger.error({ rescued }, "replies without a send job were queued by the sweeper");
    }
    return rescued;
  };
  const worker = config.ROLE !== "web";
  const every = (what: string, ms: number, run: () => Promise<unknown>) => {
    const timer = setInterval(() => {
      run().catch((err: unknown) => logger.warn({ err: String(err) }, `${what} failed`));
    }, ms);
    timer.unref();
    return timer;
  };
  const timers = worker
    ? [
        every("follow-up poll", config.FOLLOW_UP_POLL_MS, fireFollowUps),
        every("media purge", MEDIA_PURGE_INTERVAL_MS, () =>
          purgeExpiredMedia(pool, config.MEDIA_RETENTION_DAYS),
        ),
        every("outbox sweep", OUTBOX_SWEEP_INTERVAL_MS, () => sweepOutbox()),
      ]
    : [];
  if (worker && config.WHATSAPP_WABA_ID && p.transport.listTemplates) {
    timers.push(every("template sync", config.TEMPLATE_SYNC_INTERVAL_MS, syncTemplateStatus));
    void syncTemplateStatus().catch((err: unknown) =>
      logger.warn({ err: String(err) }, "template sync failed"),
    );
  }
  return { fireFollowUps, syncTemplateStatus, sweepOutbox, stop: () => timers.forEach(clearInterval) };
}
