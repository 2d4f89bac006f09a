-- Media customers send (bill photos and PDFs, voice notes). The inbox creates one row per media
-- message, in the webhook's transaction, with a `process_media` job; the job downloads the file
-- (Meta's media ids expire after 7 days), reads it (OCR, transcription) and stores the result,
-- then queues the conversation's turn. The turn waits for pending media, so messages are still
-- answered in order. The bytes are kept until `expires_at` (retention), then deleted.
create table media (
  id bigserial primary key,
  inbound_message_id bigint not null unique references inbound_messages (id) on delete cascade,
  conversation_id bigint not null references conversations (id),
  -- image | document | audio
  kind text not null,
  wa_media_id text not null,
  -- What the webhook said; `mime_type` is what the download said.
  declared_mime text,
  mime_type text,
  size_bytes integer,
  sha256 text,
  bytes bytea,
  -- pending → ready (result holds the reading) | rejected (too big, type not allowed) | failed
  status text not null default 'pending',
  reason text,
  result jsonb,
  created_at timestamptz not null default now(),
  processed_at timestamptz,
  expires_at timestamptz
);
create index media_conversation on media (conversation_id);
create index media_expiry on media (expires_at) where bytes is not null;
