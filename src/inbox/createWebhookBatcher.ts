import type { StoredWebhook, WebhookInput } from "./storeWebhook.ts";

/**
 * Group commit for webhooks: while one batch is being written, the webhooks that arrive queue up
 * and are written together in the next transaction — no added wait when traffic is light, far
 * fewer round trips and commits when it is heavy. Durability is unchanged: each caller's promise
 * resolves only after the transaction holding its webhook committed. If a batch fails, each of its
 * webhooks is retried alone, so one bad webhook cannot fail the others.
 */
export function createWebhookBatcher(
  storeMany: (inputs: WebhookInput[]) => Promise<StoredWebhook[]>,
  maxBatch = 100,
): (input: WebhookInput) => Promise<StoredWebhook> {
  type Pending = { input: WebhookInput; resolve: (r: StoredWebhook) => void; reject: (e: unknown) => void };
  let queue: Pending[] = [];
  let flushing = false;

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(maxBatch);
        try {
          const results = await storeMany(batch.map((p) => p.input));
          batch.forEach((p, i) => {
            const r = results[i];
            if (r) p.resolve(r);
            else p.reject(new Error("webhook missing from batch result"));
          });
        } catch (err) {
          if (batch.length === 1) {
            batch[0]?.reject(err);
            continue;
          }
          await Promise.all(
            batch.map(async (p) => {
              try {
                const [r] = await storeMany([p.input]);
                if (r) p.resolve(r);
                else p.reject(new Error("webhook missing from result"));
              } catch (single) {
                p.reject(single);
              }
            }),
          );
        }
      }
    } finally {
      flushing = false;
    }
  }

  return (input) =>
    new Promise<StoredWebhook>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      if (!flushing) void flush();
    });
}
