import { createClient } from "@supabase/supabase-js";

/** The row we upsert into the CRM table (SQL in the README); `id` is our lead id, the idempotency key. */
export type LeadRecord = {
  id: number;
  conversation_id: number;
  agent_id: string;
  outcome: string;
  wa_id: string | null;
  name: string | null;
  city: string | null;
  state: string | null;
  distributor: string | null;
  customer_type: string | null;
  monthly_bill_brl: number | null;
  score: number | null;
  slots: Record<string, unknown>;
  details: Record<string, unknown>;
  created_at: string;
  updated_at: string;
};

export type SinkResult =
  | { ok: true }
  | { ok: false; retryable: boolean; status: number; code: string; message: string; hint: string | null };

export type LeadSink = {
  upsert: (record: LeadRecord) => Promise<SinkResult>;
  /** Deletes the lead (LGPD erasure); deleting a lead that is not there is a success. */
  remove: (id: number) => Promise<SinkResult>;
};

/**
 * Upserts leads into a Supabase table with @supabase/supabase-js (PostgREST), keyed by our lead
 * id so a replay is harmless. The SDK never retries a POST and does not throw: the result is
 * classified here — network failures (status 0), 408, 429 and 5xx are retryable (the job runner
 * backs off); other errors (permissions 42501, unknown column PGRST204, bad data) are not.
 */
export function createSupabaseLeadSink(options: {
  url: string;
  key: string;
  table: string;
  timeoutMs: number;
}): LeadSink {
  const client = createClient(options.url, options.key, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    db: { timeout: options.timeoutMs },
  });
  const classify = (
    error: { code?: string; message: string; hint?: string | null } | null,
    status: number,
  ): SinkResult => {
    if (!error) return { ok: true };
    const retryable = status === 0 || status === 408 || status === 429 || status >= 500;
    return {
      ok: false,
      retryable,
      status,
      code: error.code ?? "",
      message: error.message,
      hint: error.hint ?? null,
    };
  };
  return {
    async remove(id) {
      const { error, status } = await client.from(options.table).delete().eq("id", id);
      return classify(error, status);
    },
    async upsert(record) {
      const { error, status } = await client.from(options.table).upsert(record, { onConflict: "id" });
      return classify(error, status);
    },
  };
}
