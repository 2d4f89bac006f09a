import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export type Metrics = ReturnType<typeof createMetrics>;

/** Prometheus metrics, on a registry of our own (tests create many services in one process). */
export function createMetrics(
  readings: {
    queueDepth?: () => Promise<number>;
    /** Age in seconds of the oldest reply not yet accepted by Meta (0 when none). */
    oldestUnsentSeconds?: () => Promise<number>;
  } = {},
) {
  const { queueDepth, oldestUnsentSeconds } = readings;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    webhookAck: new Histogram({
      name: "webhook_ack_seconds",
      help: "Time from receiving a webhook POST to answering it",
      labelNames: ["status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    webhookItems: new Counter({
      name: "webhook_items_total",
      help: "Items received in webhooks, by kind and whether they were new",
      labelNames: ["kind", "outcome"],
      registers: [registry],
    }),
    inboxLag: new Histogram({
      name: "inbox_lag_seconds",
      help: "Time from storing an inbound message to the start of the turn that handles it",
      buckets: [0.1, 0.5, 1, 2, 3, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    turnDuration: new Histogram({
      name: "turn_duration_seconds",
      help: "Duration of a conversation turn",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    outboundResults: new Counter({
      name: "outbound_results_total",
      help: "Outcomes of send attempts, by result and Meta error code",
      labelNames: ["result", "code"],
      registers: [registry],
    }),
    outboxRescued: new Counter({
      name: "outbox_rescued_total",
      help: "Replies found with no send job and queued by the sweeper (should stay at zero)",
      registers: [registry],
    }),
    oldestUnsent: new Gauge({
      name: "outbox_oldest_unsent_seconds",
      help: "Age of the oldest reply still pending or sending: alert when above a few minutes",
      registers: [registry],
      async collect() {
        if (oldestUnsentSeconds) this.set(await oldestUnsentSeconds());
      },
    }),
    queueDepth: new Gauge({
      name: "queue_depth",
      help: "Jobs ready to run and not yet taken",
      registers: [registry],
      async collect() {
        if (queueDepth) this.set(await queueDepth());
      },
    }),
  };
}
