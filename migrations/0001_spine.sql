-- The spine: raw webhook events, the inbound inbox, conversations and their turns,
-- the outbox of replies, delivery status events, and send-rate buckets.
-- graphile-worker owns its own schema (graphile_worker); nothing here touches it.

create table webhook_events (
  id bigserial primary key,
  received_at timestamptz not null default now(),
  -- The body exactly as received (bytes: not even re-encoded) so a signature can be re-checked later.
  raw_body bytea not null,
  -- What the body turned out to be: messages, statuses, template, account, call, other, unrecognised.
  kinds text[] not null default '{}',
  recognised boolean not null
);

create table conversations (
  id bigserial primary key,
  phone_number_id text not null,
  -- The business-scoped user id when Meta sends one, else the phone (wa_id); see usernames/BSUIDs.
  customer_key text not null,
  customer_wa_id text,
  customer_user_id text,
  customer_name text,
  agent_id text not null,
  agent_version text,
  state jsonb not null default '{}',
  last_inbound_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (phone_number_id, customer_key)
);
-- A customer is found by whichever identifier Meta sends (phone or business-scoped user id).
create index conversations_wa_id on conversations (phone_number_id, customer_wa_id);
create index conversations_user_id on conversations (phone_number_id, customer_user_id);

create table inbound_messages (
  id bigserial primary key,
  -- Meta re-delivers webhooks; the wamid makes every re-delivery a no-op.
  wa_message_id text not null unique,
  conversation_id bigint not null references conversations (id),
  webhook_event_id bigint not null references webhook_events (id),
  type text not null,
  text text,
  -- Meta's own timestamp (seconds) of the message; ordering key inside a conversation.
  sent_at timestamptz not null,
  received_at timestamptz not null default now(),
  body jsonb not null,
  turn_id bigint,
  processed_at timestamptz
);
create index inbound_messages_pending on inbound_messages (conversation_id, sent_at, id)
  where processed_at is null;

create table turns (
  id bigserial primary key,
  conversation_id bigint not null references conversations (id),
  agent_id text not null,
  agent_version text,
  inbound_ids bigint[] not null,
  state_before jsonb not null,
  state_after jsonb not null,
  started_at timestamptz not null,
  finished_at timestamptz not null default now()
);
create index turns_conversation on turns (conversation_id, id);

create table outbox (
  id bigserial primary key,
  conversation_id bigint not null references conversations (id),
  turn_id bigint references turns (id),
  -- Position within the conversation; sends go out in this order.
  seq bigint not null,
  phone_number_id text not null,
  recipient text not null,
  kind text not null,
  payload jsonb not null,
  -- pending → sending → sent → delivered → read; failed (Meta said no) and dead (we gave up) are terminal.
  status text not null default 'pending',
  wamid text unique,
  attempts integer not null default 0,
  next_attempt_at timestamptz,
  send_started_at timestamptz,
  sent_at timestamptz,
  status_at timestamptz,
  error_code integer,
  error_title text,
  error_details text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (conversation_id, seq)
);
create index outbox_status on outbox (status);

create table status_events (
  id bigserial primary key,
  webhook_event_id bigint not null references webhook_events (id),
  wamid text not null,
  status text not null,
  status_at timestamptz not null,
  recipient text,
  -- Our outbox id travels as biz_opaque_callback_data; it reconciles sends whose response we never saw.
  callback_data text,
  errors jsonb,
  body jsonb not null,
  received_at timestamptz not null default now(),
  unique (wamid, status)
);
create index status_events_callback on status_events (callback_data) where callback_data is not null;

-- Non-message changes (template lifecycle, account, calls, user preferences, value-level errors, ...).
create table webhook_changes (
  id bigserial primary key,
  webhook_event_id bigint not null references webhook_events (id),
  field text not null,
  kind text not null,
  value jsonb,
  received_at timestamptz not null default now()
);
create index webhook_changes_kind on webhook_changes (kind, id);

-- Token buckets for the per-number send rate and the per-customer pair rate limit.
create table rate_buckets (
  key text primary key,
  tokens double precision not null,
  updated_at timestamptz not null
);

-- Liveness of worker processes, so jobs held by a killed worker are released quickly
-- instead of after graphile-worker's 4-hour lock timeout.
create table worker_heartbeats (
  worker_id text primary key,
  role text not null,
  started_at timestamptz not null default now(),
  beat_at timestamptz not null default now()
);

-- Messages the sandbox transport "sent" (no WhatsApp account needed).
create table sandbox_messages (
  id bigserial primary key,
  wamid text not null unique,
  phone_number_id text not null,
  recipient text not null,
  body jsonb not null,
  created_at timestamptz not null default now()
);
