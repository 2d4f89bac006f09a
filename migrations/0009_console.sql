-- The operator console: sessions, takeovers, an audit trail of what operators did, and the
-- per-turn stage timings the turn inspector shows.

-- A browser session of an operator. The cookie holds a random token; only its sha256 is stored.
create table console_sessions (
  token_hash text primary key,
  operator text not null,
  csrf_token text not null,
  -- A fingerprint of the password the session was opened with: changing the password ends them all.
  password_mark text not null,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index console_sessions_expiry on console_sessions (expires_at);

-- Set while an operator has taken the conversation over: the bot reads the customer's messages
-- but says nothing until the operator gives it back.
alter table conversations add column taken_by text;
alter table conversations add column taken_at timestamptz;

-- What operators did (take over, give back, reply, review a lead, erase), for the history view.
create table operator_events (
  id bigserial primary key,
  conversation_id bigint references conversations (id) on delete set null,
  lead_id bigint,
  operator text not null,
  action text not null,
  detail jsonb not null default '{}',
  at timestamptz not null default now()
);
create index operator_events_conversation on operator_events (conversation_id, id);

-- Stage timings of a turn (queue wait, lock, LLM, retrieval, decide, write), measured on the
-- wall clock; OCR and sends are read from media and outbox when shown.
alter table turns add column trace jsonb;

-- The console reads a conversation's messages (history, last message) by conversation; until now
-- only unprocessed ones were indexed that way. The conversation list is ordered by activity.
create index inbound_messages_conversation on inbound_messages (conversation_id, id);
create index conversations_activity on conversations ((greatest(updated_at, last_inbound_at)) desc nulls last, id desc);
