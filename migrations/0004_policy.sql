-- The WhatsApp policy engine: the 24-hour window and consent at send time, and follow-ups.

-- A proactive message (a reminder, a broadcast) is never sent to an opted-out contact; a reply to
-- the customer's own message is. `fallback` is the template that replaces a free-form message
-- when the 24-hour window has closed (null: the message is dropped with a logged reason).
alter table outbox add column proactive boolean not null default false;
alter table outbox add column fallback jsonb;
-- Why a message was not sent (status 'dropped'): outside the window, opted out, ...
alter table outbox add column dropped_reason text;

-- Follow-ups (the one reminder after 24 h of silence). Times are on the conversation clock, so the
-- story runner's fake clock drives them; a poller fires the due ones (durable across restarts).
create table follow_ups (
  id bigserial primary key,
  conversation_id bigint not null references conversations (id),
  kind text not null,
  due_at timestamptz not null,
  -- scheduled → sent | cancelled (the conversation moved on) ; a sent one is never re-armed
  status text not null default 'scheduled',
  reason text,
  outbox_id bigint references outbox (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (conversation_id, kind)
);
create index follow_ups_due on follow_ups (due_at) where status = 'scheduled';
