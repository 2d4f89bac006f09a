-- What Meta says about each template (approval, quality, category), from the sync job
-- (GET /{WABA-ID}/message_templates) and the template webhooks. The registry in templates/ says
-- what the template is; this table says whether it may be sent.
create table template_status (
  name text not null,
  language text not null,
  status text not null,
  category text,
  quality text,
  template_id text,
  reason text,
  source text not null,
  updated_at timestamptz not null default now(),
  primary key (name, language)
);
