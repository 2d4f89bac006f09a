import type { Queryable } from "../db/withTransaction.ts";

/**
 * Meta's failure codes that say something about the customer (Meta's error-code table), in words
 * an operator can act on. Others are about the message and stay on the outbox row only.
 */
const ABOUT_THE_CONTACT: Record<number, string> = {
  131026:
    "undeliverable: the number may not be on WhatsApp, or has not accepted Meta's terms or updated the app",
  131049: "Meta held back a marketing message to keep the customer's engagement healthy",
  131050: "the customer stopped marketing messages from this business",
  130472: "the customer's number is in a Meta marketing experiment",
};

/** What a failure code says about the customer, if anything. Pure. */
export function deliveryProblemOf(code: number | undefined): string | undefined {
  return code === undefined ? undefined : ABOUT_THE_CONTACT[code];
}

/** Records on their conversations what failures (outbox id, code) say about the customers. */
export async function recordDeliveryProblems(
  db: Queryable,
  failures: { outboxId: number; code: number | undefined }[],
): Promise<void> {
  const found = failures.flatMap((f) => {
    const problem = deliveryProblemOf(f.code);
    return problem ? [{ outboxId: f.outboxId, problem: `${f.code}: ${problem}` }] : [];
  });
  if (found.length === 0) return;
  await db.query(
    `update conversations c set delivery_problem = f.problem, delivery_problem_at = now()
       from unnest($1::bigint[], $2::text[]) as f(outbox_id, problem)
       join outbox o on o.id = f.outbox_id
      where c.id = o.conversation_id`,
    [found.map((f) => f.outboxId), found.map((f) => f.problem)],
  );
}
