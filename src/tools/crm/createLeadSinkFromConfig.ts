import type { Config } from "../../config/loadConfig.ts";
import { createSupabaseLeadSink, type LeadSink } from "./createSupabaseLeadSink.ts";

/** Supabase when SUPABASE_URL and a key are configured; otherwise leads stay in Postgres only. */
export function createLeadSinkFromConfig(config: Config): LeadSink | undefined {
  const key = config.SUPABASE_SECRET_KEY ?? config.SUPABASE_SERVICE_ROLE_KEY;
  if (!config.SUPABASE_URL || !key) return undefined;
  return createSupabaseLeadSink({
    url: config.SUPABASE_URL,
    key,
    table: config.SUPABASE_LEADS_TABLE,
    timeoutMs: config.SUPABASE_TIMEOUT_MS,
  });
}
