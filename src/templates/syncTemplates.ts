import type pg from "pg";
import type { Logger } from "pino";
import type { Template } from "../content/parseTemplate.ts";
import type { WhatsAppTransport } from "../whatsapp/transport.ts";
import { recordTemplateFacts } from "./recordTemplateFacts.ts";

/**
 * Pulls approval status, category and quality of the account's templates from the Graph API
 * (`GET /{WABA-ID}/message_templates`, all pages) into template_status, and warns about registry
 * templates Meta does not have (they would fail at send time). Returns how many were recorded.
 */
export async function syncTemplates(deps: {
  pool: pg.Pool;
  logger: Logger;
  transport: WhatsAppTransport;
  wabaId: string;
  registry: ReadonlyMap<string, Template>;
}): Promise<number> {
  if (!deps.transport.listTemplates) return 0;
  const facts = await deps.transport.listTemplates(deps.wabaId);
  await recordTemplateFacts(deps.pool, facts, "sync");
  const missing = [...deps.registry.values()].filter(
    (t) => !facts.some((f) => f.name === t.name && f.language === t.language),
  );
  if (missing.length > 0)
    deps.logger.warn(
      { templates: missing.map((t) => `${t.name} (${t.language})`) },
      "templates in templates/ that Meta does not have: submit them in WhatsApp Manager",
    );
  deps.logger.info({ templates: facts.length }, "template status synced");
  return facts.length;
}
