import type pg from "pg";
import type { Logger } from "pino";
import { z } from "zod";
import type { MediaReading } from "../../agents/runtime/mediaReading.ts";
import { withTransaction } from "../../db/withTransaction.ts";
import { addJob } from "../../queue/addJob.ts";
import { type MediaFetcher, mimeAllowed } from "../../whatsapp/fetchGraphMedia.ts";
import type { VisionCheck, VisionField } from "../vision/checkBillFields.ts";
import { mergeVisionFields } from "../vision/mergeVisionFields.ts";

/** Files read as bills (photos and PDFs); anything else a customer sends as a bill is refused. */
export const BILL_MIMES = ["image/jpeg", "image/png", "image/webp", "application/pdf"] as const;
/** The audio types WhatsApp delivers (voice notes are audio/ogg with Opus). */
export const AUDIO_MIMES = ["audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr"] as const;

type Field = { value: string | number | number[]; confidence: "high" | "medium" | "low" };
/** The OCR side (src/tools/ocr): never throws on bad input, says what is wrong instead. */
export type ReadBill = (doc: { bytes: Buffer; mimeType: string }) => Promise<{
  isBill: boolean;
  fields: { [name: string]: Field | undefined };
  problems: string[];
  source: string;
  pages: number;
  ms: number;
}>;
/** The transcription side (src/tools/transcribe): never throws, returns a reason instead. */
export type Transcribe = (audio: {
  bytes: Buffer;
  mimeType: string;
}) => Promise<
  { ok: true; transcription: { text: string; ms: number } } | { ok: false; reason: string; detail?: string }
>;

export type MediaDeps = {
  pool: pg.Pool;
  logger: Logger;
  fetchMedia: MediaFetcher;
  readBill: ReadBill;
  transcribe?: Transcribe;
  /** A vision model that checks the key fields OCR was unsure of (photos only). */
  checkVision?: VisionCheck;
  /** The operator's canonical name for a distributor a vision model read. */
  canonicalDistributor?: (name: string) => string | undefined;
  retentionDays: number;
  turnMaxAttempts: number;
  /**
   * Marks the customer's file read with the typing indicator while it is read (a bill takes
   * seconds of OCR): best effort, bounded in time, never throws.
   */
  showTyping?: (input: { phoneNumberId: string; wamid: string }, log: Logger) => Promise<void>;
};

const rowSchema = z.object({
  id: z.coerce.number(),
  conversation_id: z.coerce.number(),
  inbound_message_id: z.coerce.number(),
  kind: z.string(),
  wa_media_id: z.string(),
  declared_mime: z.string().nullable(),
  status: z.string(),
  phone_number_id: z.string(),
  wa_message_id: z.string().nullable(),
  bot_answers: z.boolean(),
});

/**
 * The `process_media` job: download one customer file (size, type and host checked first), read it
 * — OCR for a bill photo or PDF, transcription for a voice note — store the bytes (until the
 * retention date) and the reading, and queue the conversation's turn, which was waiting for it.
 * Network and server errors throw so the queue retries; on the last attempt the media is marked
 * failed instead, so the turn never waits forever. Idempotent: a row already processed is skipped.
 */
export async function processMedia(
  deps: MediaDeps,
  mediaId: number,
  attempt: { number: number; max: number },
): Promise<void> {
  const { rows } = await deps.pool.query(
    `select m.id, m.conversation_id, m.inbound_message_id, m.kind, m.wa_media_id, m.declared_mime, m.status,
            c.phone_number_id, i.wa_message_id, c.taken_by is null as bot_answers
       from media m join conversations c on c.id = m.conversation_id
       left join inbound_messages i on i.id = m.inbound_message_id
      where m.id = $1`,
    [mediaId],
  );
  const parsed = rowSchema.safeParse(rows[0]);
  if (!parsed.success || parsed.data.status !== "pending") return;
  const media = parsed.data;
  const log = deps.logger.child({ conversationId: media.conversation_id, mediaId, kind: media.kind });
  // The customer sees "read" and "typing…" while the file is downloaded and read, not seconds of
  // nothing; an operator's conversation gets no indicator from the bot.
  if (deps.showTyping && media.wa_message_id && media.bot_answers && attempt.number <= 1)
    await deps.showTyping({ phoneNumberId: media.phone_number_id, wamid: media.wa_message_id }, log);
  try {
    await readMedia(deps, media, log);
  } catch (err) {
    // The last attempt must still wake the turn: the file is answered as failed, never waited on.
    if (attempt.number < attempt.max) throw err;
    const message = err instanceof Error ? err.message : String(err);
    log.error({ err: message }, "media processing failed for good");
    await settle(deps, media, "failed", { kind: "failed", reason: "processing_failed" }, message);
  }
}

/** Download and read one file, then store the reading and wake the turn (settle). */
async function readMedia(deps: MediaDeps, media: z.infer<typeof rowSchema>, log: Logger): Promise<void> {
  const allowed = media.kind === "audio" ? AUDIO_MIMES : BILL_MIMES;
  const finish = (status: string, reading: MediaReading, reason?: string) =>
    settle(deps, media, status, reading, reason);

  if (media.declared_mime && !mimeAllowed(media.declared_mime, allowed)) {
    log.info({ mime: media.declared_mime }, "media refused: type not allowed");
    return finish("rejected", { kind: "refused", reason: "type_not_allowed" }, media.declared_mime);
  }
  const transcribe = deps.transcribe;
  if (media.kind === "audio" && !transcribe) {
    // Nothing to do with the audio: not downloaded, the customer is asked to type.
    return finish("ready", { kind: "voice", reason: "no_transcriber" });
  }
  // A failed download throws: the queue retries, and the last attempt is settled by the caller.
  const fetched = await deps.fetchMedia({ mediaId: media.wa_media_id, phoneNumberId: media.phone_number_id });
  if (!fetched.ok) {
    log.info({ reason: fetched.reason, detail: fetched.detail }, "media refused");
    return finish("rejected", { kind: "refused", reason: fetched.reason }, fetched.detail);
  }
  const { bytes, mimeType, sha256 } = fetched;
  await deps.pool.query(
    `update media set bytes = $2, mime_type = $3, size_bytes = $4, sha256 = $5,
            expires_at = now() + $6::int * interval '1 day' where id = $1`,
    [media.id, bytes, mimeType, bytes.length, sha256, deps.retentionDays],
  );
  if (media.kind === "audio" && transcribe) {
    const result = await transcribe({ bytes, mimeType });
    if (!result.ok) {
      log.info({ reason: result.reason }, "voice note not transcribed");
      return finish("ready", { kind: "voice", reason: result.reason }, result.detail ?? result.reason);
    }
    log.info(
      { ms: result.transcription.ms, chars: result.transcription.text.length },
      "voice note transcribed",
    );
    return finish("ready", { kind: "transcript", text: result.transcription.text });
  }
  const reading = await deps.readBill({ bytes, mimeType });
  let fields: Record<string, Field> = {};
  for (const [name, f] of Object.entries(reading.fields)) if (f) fields[name] = f;
  if (deps.checkVision && reading.isBill && mimeType.startsWith("image/"))
    fields = await checkWithVision(deps, deps.checkVision, bytes, mimeType, fields, log);
  log.info(
    {
      isBill: reading.isBill,
      source: reading.source,
      pages: reading.pages,
      ms: reading.ms,
      fields: Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.confidence])),
      problems: reading.problems,
    },
    "bill read",
  );
  return finish("ready", { kind: "bill", isBill: reading.isBill, fields, problems: reading.problems });
}

/** Key fields a vision model may confirm or supply when OCR read them with less than high confidence. */
const VISION_FIELDS: VisionField[] = [
  "distributor",
  "installation_number",
  "amount_due_brl",
  "consumption_kwh",
  "due_date",
];

/**
 * The optional second opinion: only the unsure key fields are asked; the answer passes the same
 * validations (zod, in the check) and never overrides a high-confidence OCR field (the merge).
 * A failed check leaves the OCR reading as it was.
 */
async function checkWithVision(
  deps: MediaDeps,
  check: VisionCheck,
  image: Buffer,
  mimeType: string,
  fields: Record<string, Field>,
  log: Logger,
): Promise<Record<string, Field>> {
  const unsure = VISION_FIELDS.filter((f) => fields[f]?.confidence !== "high");
  if (unsure.length === 0) return fields;
  const result = await check({ image, mimeType, fields: unsure });
  if (!result.ok) {
    log.warn({ reason: result.reason }, "vision check failed; OCR reading kept");
    return fields;
  }
  const values = { ...result.values };
  if (typeof values.distributor === "string") {
    const canonical = deps.canonicalDistributor?.(values.distributor);
    if (canonical) values.distributor = canonical;
    else delete values.distributor;
  }
  log.info({ asked: unsure, answered: Object.keys(values), tokens: result.usage }, "vision check");
  return mergeVisionFields(fields, values);
}

/**
 * Stores the outcome and wakes the conversation: a transcript becomes the message's text (what the
 * turn, the LLM and the history read); the turn job runs now.
 */
async function settle(
  deps: MediaDeps,
  media: z.infer<typeof rowSchema>,
  status: string,
  reading: MediaReading,
  reason: string | undefined,
): Promise<void> {
  await withTransaction(deps.pool, async (db) => {
    await db.query(
      "update media set status = $2, result = $3, reason = $4, processed_at = now() where id = $1 and status = 'pending'",
      [media.id, status, JSON.stringify(reading), reason?.slice(0, 500) ?? null],
    );
    if (reading.kind === "transcript")
      await db.query("update inbound_messages set text = $2 where id = $1 and text is null", [
        media.inbound_message_id,
        reading.text,
      ]);
    await addJob(
      db,
      "conversation_turn",
      { conversationId: media.conversation_id },
      { jobKey: `turn:${media.conversation_id}`, jobKeyMode: "replace", maxAttempts: deps.turnMaxAttempts },
    );
  });
}
