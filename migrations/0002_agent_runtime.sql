-- What the agent runtime records beyond the spine: outcomes (leads), the consent ledger,
-- hand-offs to people, and the LLM's token usage and cost per conversation.

-- The content hash of the agent that ran the last turn (also inside agent_version, kept apart
-- so operators can find every conversation still on an old version).
alter table conversations add column content_hash text;
-- Set while the customer waits for a person (the agent handed off); cleared when an operator closes it.
alter table conversations add column handoff_at timestamptz;
-- Set while the contact is opted out; the ledger below says when and why it changed.
alter table conversations add column opted_out_at timestamptz;

-- Append-only: every opt-out / opt-in with its time and source (keyword, operator, import).
create table consent_events (
  id bigserial primary key,
  conversation_id bigint not null references conversations (id),
  opted_out boolean not null,
  source text not null,
  detail text,
  turn_id bigint references turns (id),
  at timestamptz not null default now()
);
create index consent_events_conversation on consent_events (conversation_id, id);

-- One row per conversation that reached an outcome; a later outcome updates it.
create table leads (
  id bigserial primary key,
  conversation_id bigint not null unique references conversations (id),
  agent_id text not null,
  agent_version text,
  outcome text not null,
  slots jsonb not null,
  customer_wa_id text,
  customer_name text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index leads_outcome on leads (outcome, updated_at);

-- Token usage and cost of every LLM call, for the per-conversation daily cost cap and reporting.
create table llm_usage (
  id bigserial primary key,
  conversation_id bigint not null references conversations (id),
  turn_id bigint references turns (id),
  model text not null,
  outcome text not null,
  prompt_tokens integer not null default 0,
  completion_tokens integer not null default 0,
  cost_usd numeric(12, 6) not null default 0,
  at timestamptz not null default now()
);
create index llm_usage_conversation on llm_usage (conversation_id, at);

-- Who wrote an outbound message: the agent, or a person from the console / admin API.
alter table outbox add column author text not null default 'agent';

-- Media "uploaded" by customers of the sandbox (story runner, simulator): what the Graph API's
-- media endpoints would serve for a media id.
create table sandbox_media (
  id text primary key,
  mime_type text not null,
  sha256 text not null,
  filename text,
  bytes bytea not null,
  created_at timestamptz not null default now()
);
