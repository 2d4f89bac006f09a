-- Leads pushed to the CRM (Supabase) through a job: where each stands, and why it failed.
-- null: not to be synced (no CRM configured, or an outcome that is not sent); pending → synced | failed.
alter table leads add column sync_status text;
alter table leads add column sync_attempts integer not null default 0;
alter table leads add column sync_error text;
alter table leads add column synced_at timestamptz;
create index leads_sync on leads (sync_status) where sync_status in ('pending', 'failed');
