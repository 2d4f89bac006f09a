-- A conversation a person should look at while the bot goes on (a question the agent could not
-- answer yet); unlike handoff_at, the agent keeps answering.
alter table conversations add column attention_at timestamptz;
alter table conversations add column attention_reason text;

-- The quote, score and holder-consent flag computed with the lead (sales priority; never the outcome).
alter table leads add column details jsonb not null default '{}';
