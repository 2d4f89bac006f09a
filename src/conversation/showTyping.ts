import type { Logger } from "pino";
import { prepared } from "../db/prepared.ts";
import { markReadBriefly } from "../whatsapp/markReadBriefly.ts";
import type { TurnDeps } from "./turnDeps.ts";

/** How long a turn waits for the read receipt / typing indicator call. */
const TYPING_WAIT_MS = 2000;

/**
 * Marks the newest pending message read and shows the typing indicator while the turn runs.
 * Best effort: the customer's reply must not depend on a read receipt. No operator's conversation
 * gets it: the bot will not answer there.
 */
export async function showTyping(deps: TurnDeps, conversationId: number, log: Logger): Promise<void> {
  const { rows } = await deps.pool.query<{ wa_message_id: string; phone_number_id: string }>(
    prepared(
      `select m.wa_message_id, c.phone_number_id from inbound_messages m join conversations c on c.id = m.conversation_id
      where m.conversation_id = $1 and m.processed_at is null and m.type not in ('reaction', 'revoke', 'edit', 'system')
        and c.taken_by is null
      order by m.sent_at desc, m.id desc limit 1`,
      [conversationId],
    ),
  );
  const last = rows[0];
  if (!last) return;
  // A slow Graph API must not hold the turn.
  await markReadBriefly(
    deps.transport,
    { phoneNumberId: last.phone_number_id, wamid: last.wa_message_id },
    log,
    TYPING_WAIT_MS,
  );
}
