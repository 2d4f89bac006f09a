-- A reply Meta reported `failed` by status webhook may be sent once more (as the fallback template
-- after 131047, or again after a transient failure). The earlier attempt's message id is retired:
-- late or duplicated statuses for it (matched by id or by our callback data) must not touch the
-- new attempt, nor count as a confirmation of it.
alter table outbox add column retired_wamids text[] not null default '{}';

-- The ambiguity policy looks for statuses of messages sent after an unconfirmed one, by number.
create index outbox_sent_after on outbox (phone_number_id, send_started_at);
