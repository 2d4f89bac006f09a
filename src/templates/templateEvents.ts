import { z } from "zod";

/** A status, quality or category fact about one template, from a webhook or the sync. */
export type TemplateFact = {
  name: string;
  language: string;
  templateId: string | null;
  status?: string;
  category?: string;
  quality?: string;
  reason?: string;
};

const base = {
  message_template_name: z.string(),
  message_template_language: z.string(),
  message_template_id: z.union([z.string(), z.number()]).transform(String).optional(),
};
const statusUpdate = z.looseObject({
  ...base,
  event: z.string(),
  reason: z.string().nullable().optional(),
  message_template_category: z.string().optional(),
});
const qualityUpdate = z.looseObject({ ...base, new_quality_score: z.string() });
const categoryUpdate = z.looseObject({ ...base, new_category: z.string() });

/**
 * Template webhooks as facts (pure): `message_template_status_update` (APPROVED, REJECTED,
 * PAUSED, DISABLED, …), `message_template_quality_update`, `template_category_update`. Anything
 * else, or a value that does not parse, gives nothing (the raw change is stored anyway).
 */
export function templateFactFromChange(field: string, value: unknown): TemplateFact | undefined {
  if (field === "message_template_status_update") {
    const v = statusUpdate.safeParse(value);
    if (!v.success) return undefined;
    return {
      name: v.data.message_template_name,
      language: v.data.message_template_language,
      templateId: v.data.message_template_id ?? null,
      status: v.data.event,
      ...(v.data.message_template_category ? { category: v.data.message_template_category } : {}),
      ...(v.data.reason && v.data.reason !== "NONE" ? { reason: v.data.reason } : {}),
    };
  }
  if (field === "message_template_quality_update") {
    const v = qualityUpdate.safeParse(value);
    if (!v.success) return undefined;
    return {
      name: v.data.message_template_name,
      language: v.data.message_template_language,
      templateId: v.data.message_template_id ?? null,
      quality: v.data.new_quality_score,
    };
  }
  if (field === "template_category_update") {
    const v = categoryUpdate.safeParse(value);
    if (!v.success) return undefined;
    return {
      name: v.data.message_template_name,
      language: v.data.message_template_language,
      templateId: v.data.message_template_id ?? null,
      category: v.data.new_category,
    };
  }
  return undefined;
}
