import { randomInt } from "node:crypto";
import type pg from "pg";
import { z } from "zod";

const sandboxRow = z.object({ bytes: z.instanceof(Buffer), mime_type: z.string() });

/**
 * A customer of the sandbox (simulator, story runner) "uploads" a file: it is kept under a new media
 * id, as the Graph API's media endpoint would serve it. Returns the id for the webhook.
 */
export async function storeSandboxMedia(
  pool: pg.Pool,
  file: { bytes: Buffer; mimeType: string; filename: string },
): Promise<string> {
  const mediaId = String(randomInt(100_000_000_000, 999_999_999_999));
  await pool.query(
    "insert into sandbox_media (id, mime_type, sha256, filename, bytes) values ($1, $2, encode(sha256($3), 'base64'), $4, $3)",
    [mediaId, file.mimeType, file.bytes, file.filename],
  );
  return mediaId;
}

/** A file the simulator or the story runner "uploaded" to the sandbox under a media id. */
export async function readSandboxMedia(
  pool: pg.Pool,
  mediaId: string,
): Promise<{ bytes: Buffer; mimeType: string } | undefined> {
  const { rows } = await pool.query("select bytes, mime_type from sandbox_media where id = $1", [mediaId]);
  const row = sandboxRow.safeParse(rows[0]);
  return row.success ? { bytes: row.data.bytes, mimeType: row.data.mime_type } : undefined;
}

/** Retention: the bytes of files past their expiry are deleted; what was read from them stays. */
export async function purgeExpiredMedia(pool: pg.Pool, retentionDays = 90): Promise<number> {
  const { rowCount } = await pool.query(
    "update media set bytes = null where bytes is not null and expires_at <= now()",
  );
  // Files "uploaded" by sandbox customers (simulator, stories) are customers' bills too.
  const sandbox = await pool.query(
    "delete from sandbox_media where created_at <= now() - make_interval(days => $1)",
    [retentionDays],
  );
  return (rowCount ?? 0) + (sandbox.rowCount ?? 0);
}
