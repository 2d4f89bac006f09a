import { z } from "zod";

/** Empty strings count as unset: `.env` files and Compose often pass `VAR=`. */
/** An empty variable (`KEY=` in a .env or compose file) is an unset one. */
const emptyIsUnset = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());
const optionalString = emptyIsUnset(z.string());
const optionalNumber = emptyIsUnset(z.coerce.number().min(0));
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/**
 * Every environment variable the service reads, with its default. `.env.example` and `coolify.json`
 * list the same keys (a test keeps them in step).
 */
export const configSchema = z.object({
  /** development | production | test. Production refuses to start without real secrets and a database. */
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  /** Which parts run in this process: web (HTTP), worker (queue), or all. */
  ROLE: z.enum(["all", "web", "worker"]).default("all"),
  HOST: z.string().default("0.0.0.0"),
  /** HTTP port; 0 picks a free one (tests). */
  PORT: int(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** json: one JSON line per entry (machines); pretty: readable text; auto: pretty when stdout is a terminal. */
  LOG_FORMAT: z.enum(["auto", "json", "pretty"]).default("auto"),
  /** Postgres URL. Unset: an embedded PostgreSQL is started with its data under DATA_DIR. */
  DATABASE_URL: optionalString,
  DATABASE_POOL_SIZE: int(10, 1),
  /** Local state: embedded database files and generated development secrets. */
  DATA_DIR: z.string().default("./.data"),
  EMBEDDED_PG_PORT: int(54329, 1),
  /** Meta app secret: the key of X-Hub-Signature-256. Generated under DATA_DIR outside production. */
  WHATSAPP_APP_SECRET: optionalString,
  /** The string Meta echoes in the GET /webhook handshake. Generated under DATA_DIR outside production. */
  WHATSAPP_VERIFY_TOKEN: optionalString,
  /** System-user access token. Unset: replies go to the sandbox transport instead of Meta. */
  WHATSAPP_ACCESS_TOKEN: optionalString,
  /** Graph API origin; tests point it at a fake server. The version is pinned in code. */
  WHATSAPP_GRAPH_BASE_URL: z.url().default("https://graph.facebook.com"),
  /** Bearer token for /admin and /sandbox. Generated under DATA_DIR outside production. */
  ADMIN_TOKEN: optionalString,
  /**
   * The operator console's password (GET /console). Unset: ADMIN_TOKEN is the password. No login is
   * asked in the local embedded default (no DATABASE_URL, not production) unless CONSOLE_LOGIN=required.
   */
  CONSOLE_PASSWORD: optionalString,
  /** auto: login everywhere except the local embedded default; required: always. */
  CONSOLE_LOGIN: z.enum(["auto", "required"]).default("auto"),
  /** How long a console session lasts without activity. */
  CONSOLE_SESSION_HOURS: int(12, 1),
  /**
   * Wrong console passwords from one address allowed per 15 minutes; then that address waits 30 s,
   * doubling per further failure (never other addresses).
   */
  CONSOLE_LOGIN_ATTEMPTS: int(5, 1),
  /**
   * The reverse proxies whose X-Forwarded-For is believed, as express's "trust proxy" reads it:
   * addresses or CIDRs (comma-separated), loopback, linklocal, uniquelocal, or a hop count. Unset:
   * none, and a client is its socket's address. Behind Coolify's Traefik: the proxy's network.
   */
  TRUST_PROXY: optionalString,
  /**
   * The browser chat simulator (console tab): auto = on with the sandbox transport outside
   * production; on = also elsewhere (it posts signed webhooks as a customer); off = never.
   */
  SIMULATOR: z.enum(["auto", "on", "off"]).default("auto"),
  /** Largest webhook body accepted, in bytes (Meta sends up to 3 MB); larger gets 413. */
  WEBHOOK_MAX_BODY_BYTES: int(3 * 1024 * 1024, 1024),
  /** Messages from one customer arriving within this window become one turn. */
  /**
   * Start every new conversation in this agent instead of agents/routing.yaml's choice (e.g. "echo"
   * to prove a deployment's wiring end to end). Must name a loaded agent.
   */
  DEFAULT_AGENT: optionalString,
  TURN_DEBOUNCE_MS: int(2000),
  /** Attempts at processing one conversation turn before its job is left dead. */
  TURN_MAX_ATTEMPTS: int(10, 1),
  /** Upper bound on one turn attempt (waiting for the conversation, deciding, writing); then it is retried. */
  TURN_TIMEOUT_MS: int(30000, 100),
  /**
   * Concurrent jobs (turns, media, lead sync) per worker process. A turn holds no database
   * connection while it waits for the LLM, so a slot is cheap: it is the LLM, not the pool, that
   * bounds the work (LLM_MAX_CONCURRENCY).
   */
  WORKER_CONCURRENCY: int(200, 1),
  /** How often an idle worker polls for jobs (LISTEN/NOTIFY wakes it sooner). */
  WORKER_POLL_INTERVAL_MS: int(1000, 50),
  /** A worker silent for this long is presumed dead and its jobs are released. */
  WORKER_STALE_AFTER_MS: int(30000, 1000),
  /** Per-number send rate, never exceeded in any 1-second window (Meta's default throughput is 80 messages/s). */
  SEND_RATE_PER_SECOND: int(80, 1),
  /** Pair rate limit: messages to one customer allowed in a burst, then one per PAIR_RATE_INTERVAL_MS. */
  PAIR_RATE_BURST: int(10, 1),
  PAIR_RATE_INTERVAL_MS: int(6000, 1),
  /**
   * Transient send failures (5xx, 429, network, an expired token) are retried for this long from
   * when the reply was written, the 24-hour window checked again on each try; then the reply is
   * given up (dead). By time, not by count: an outage of an hour must not cost replies.
   */
  SEND_RETRY_FOR_MS: int(6 * 60 * 60 * 1000, 1000),
  /** Optional cap on send attempts per reply besides SEND_RETRY_FOR_MS (unset: none). */
  SEND_MAX_ATTEMPTS: emptyIsUnset(z.coerce.number().int().min(1)),
  /** First retry delay; doubles per attempt, with jitter, capped at SEND_RETRY_MAX_MS. */
  SEND_RETRY_BASE_MS: int(1000, 1),
  SEND_RETRY_MAX_MS: int(5 * 60 * 1000, 1),
  /** A send with no response and no status callback after this long is sent again. */
  SEND_CONFIRM_TIMEOUT_MS: int(60000, 1000),
  /**
   * A send whose outcome we could not tell (timeout, reset, a 5xx page) and that Meta never
   * reports on is resent only on evidence that Meta did not take it; with no evidence for this
   * long, it is handed to an operator (console attention) instead of being resent blindly.
   */
  SEND_UNCONFIRMED_LIMIT_MS: int(30 * 60 * 1000, 1000),
  GRAPH_TIMEOUT_MS: int(15000, 100),
  /** OpenAI-compatible API (OpenAI, Groq, OpenRouter, vLLM, Ollama). Unset: degraded mode, no LLM. */
  LLM_BASE_URL: optionalString,
  LLM_API_KEY: optionalString,
  LLM_MODEL: z.string().default("gpt-4o-mini"),
  /** Bound on one LLM call; past it the turn goes on in degraded mode. */
  LLM_TIMEOUT_MS: int(8000, 100),
  /** LLM calls in flight at once per process; more wait for a slot (size it to the provider's rate limit). */
  LLM_MAX_CONCURRENCY: int(256, 1),
  /** Failed LLM calls in a row that open the circuit (turns skip the LLM until a probe succeeds). */
  LLM_BREAKER_FAILURES: int(5, 1),
  LLM_BREAKER_COOLDOWN_MS: int(30000, 100),
  /** Earlier messages (both sides) the LLM sees besides the slot summary; never the whole log. */
  LLM_HISTORY_MESSAGES: int(8),
  /**
   * Model prices in USD per million tokens, for the recorded cost and the caps. Unset: the model's
   * list price (src/tools/llm/modelPrices.ts), or a large model's for one it does not know.
   */
  LLM_PRICE_INPUT_PER_MTOK: optionalNumber,
  LLM_PRICE_OUTPUT_PER_MTOK: optionalNumber,
  /** LLM spend per conversation per day (America/Sao_Paulo) after which its turns run in degraded mode. */
  LLM_DAILY_COST_CAP_USD: z.coerce.number().min(0).default(0.25),
  /** LLM spend of all conversations together per day after which every turn runs in degraded mode (0: none). */
  LLM_DAILY_TOTAL_COST_CAP_USD: z.coerce.number().min(0).default(20),
  /** An HTTP plans service (GET → { plans: [...] }); unset: the plans in agents/ (operator data). */
  PLANS_API_URL: emptyIsUnset(z.url()),
  /** Bound on one plans-service call (retried once, then operator data). */
  PLANS_API_TIMEOUT_MS: int(2000, 100),
  /** How long an answer of the plans service is reused. */
  PLANS_CACHE_MS: int(300_000, 0),
  /** WhatsApp Business Account id: template approval status is synced from it. */
  WHATSAPP_WABA_ID: emptyIsUnset(z.string().regex(/^\d+$/)),
  /** How often template status is pulled from the Graph API (webhooks update it in between). */
  TEMPLATE_SYNC_INTERVAL_MS: int(3_600_000, 1000),
  /** Supabase project URL (https://<ref>.supabase.co). Set with a secret key: leads are upserted there. */
  SUPABASE_URL: emptyIsUnset(z.url()),
  /** Server-side secret key (sb_secret_…); bypasses RLS, so never ship it to clients. */
  SUPABASE_SECRET_KEY: optionalString,
  /** The legacy service_role JWT, accepted when SUPABASE_SECRET_KEY is not set. */
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
  /** The table leads are upserted into (SQL in the README). */
  SUPABASE_LEADS_TABLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/)
    .default("leads"),
  /** Bound on one Supabase call. */
  SUPABASE_TIMEOUT_MS: int(10000, 100),
  /** Largest media file a customer may send that is downloaded (bytes); larger gets a polite refusal. */
  MEDIA_MAX_BYTES: int(10 * 1024 * 1024, 1024),
  /** Days a downloaded file (bill photo, PDF, voice note) is kept; the reading stays, the bytes go. */
  MEDIA_RETENTION_DAYS: int(90, 1),
  /** Bound on one media lookup or download. */
  MEDIA_TIMEOUT_MS: int(20000, 100),
  /**
   * Hosts media may be downloaded from (a leading dot: the domain and its subdomains). Meta's
   * lookaside and CDN hosts by default; the Graph API's own host is always allowed.
   */
  MEDIA_ALLOWED_HOSTS: z
    .string()
    .default(".fbsbx.com,.fbcdn.net,.whatsapp.net,.facebook.com")
    .transform((v) =>
      v
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  /** tesseract.js workers kept warm for bill OCR (each is a thread holding the Portuguese model). */
  OCR_POOL_SIZE: int(1, 1),
  /** Pages of a PDF that are read (a 50-page upload is not a bill). */
  OCR_MAX_PDF_PAGES: int(3, 1),
  /**
   * OpenAI-compatible transcription endpoint for voice notes (POST /audio/transcriptions), e.g.
   * https://api.openai.com/v1 or a local Whisper server. Unset: customers are asked to type.
   */
  TRANSCRIBE_BASE_URL: emptyIsUnset(z.url()),
  TRANSCRIBE_API_KEY: optionalString,
  TRANSCRIBE_MODEL: z.string().default("whisper-1"),
  /** Voice notes longer than this are not transcribed (the customer is asked to type or shorten). */
  VOICE_MAX_SECONDS: int(120, 1),
  /**
   * A vision-capable model on the LLM provider (LLM_BASE_URL): bill fields OCR read with low
   * confidence are checked by it. Unset: OCR alone.
   */
  VISION_MODEL: optionalString,
  /**
   * The knowledge base (markdown pages with front matter) the FAQ answers from; unset: the
   * `knowledge/` folder beside agents/ (none there: questions get "vou verificar" and a flag).
   */
  KNOWLEDGE_DIR: optionalString,
  /**
   * OpenAI-compatible embeddings endpoint for the knowledge base (vectors fused with keyword search
   * when the database has pgvector). Unset: keyword search alone.
   */
  EMBEDDINGS_BASE_URL: emptyIsUnset(z.url()),
  EMBEDDINGS_API_KEY: optionalString,
  EMBEDDINGS_MODEL: z.string().default("text-embedding-3-small"),
  /** Relevance (0–1) of the best passage below which a question gets "não sei" and a person. */
  FAQ_MIN_SCORE: z.coerce.number().min(0).max(1).default(0.3),
  /** How often the worker looks for due follow-ups (reminders). */
  FOLLOW_UP_POLL_MS: int(30000, 100),
  /** Budget for a graceful shutdown after SIGTERM. */
  SHUTDOWN_TIMEOUT_MS: int(10000, 100),
});

export type Config = Readonly<
  z.infer<typeof configSchema> & {
    /** Resolved: the sandbox transport is used when no access token is configured. */
    sandbox: boolean;
  }
>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

/** Reads every variable once; reports every bad one at once; returns a frozen object. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty value (`PORT=` in a .env or compose file) means "use the default", never "".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const c = parsed.data;
  const problems: string[] = [];
  if (c.NODE_ENV === "production") {
    for (const key of [
      "WHATSAPP_APP_SECRET",
      "WHATSAPP_VERIFY_TOKEN",
      "DATABASE_URL",
      "ADMIN_TOKEN",
    ] as const) {
      if (!c[key]) problems.push(`${key}: required when NODE_ENV=production`);
    }
  }
  if (c.SUPABASE_URL && !c.SUPABASE_SECRET_KEY && !c.SUPABASE_SERVICE_ROLE_KEY) {
    problems.push("SUPABASE_SECRET_KEY: required when SUPABASE_URL is set (or SUPABASE_SERVICE_ROLE_KEY)");
  }
  if (c.SEND_CONFIRM_TIMEOUT_MS <= c.GRAPH_TIMEOUT_MS) {
    problems.push("SEND_CONFIRM_TIMEOUT_MS: must be longer than GRAPH_TIMEOUT_MS");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...c, sandbox: !c.WHATSAPP_ACCESS_TOKEN });
}
