import type { Queryable } from "../db/withTransaction.ts";
import type { TemplateFact } from "./templateEvents.ts";

/**
 * Upserts what is known about templates; a fact only overwrites the fields it carries (a quality
 * update keeps the approval status). A template first seen through a quality or category update
 * is recorded with status UNKNOWN.
 */
export async function recordTemplateFacts(
  db: Queryable,
  facts: TemplateFact[],
  source: string,
): Promise<void> {
  for (const f of facts) {
    await db.query(
      `insert into template_status (name, language, status, category, quality, template_id, reason, source, updated_at)
       values ($1, $2, coalesce($3, 'UNKNOWN'), $4, $5, $6, $7, $8, now())
       on conflict (name, language) do update set
         status = coalesce($3, template_status.status),
         category = coalesce($4, template_status.category),
         quality = coalesce($5, template_status.quality),
         template_id = coalesce($6, template_status.template_id),
         reason = case when $3 is null then template_status.reason else $7 end,
         source = $8, updated_at = now()`,
      [
        f.name,
        f.language,
        f.status ?? null,
        f.category ?? null,
        f.quality ?? null,
        f.templateId,
        f.reason ?? null,
        source,
      ],
    );
  }
}
