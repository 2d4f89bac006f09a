-- One turn at a time per conversation without holding a transaction across the LLM call: a turn
-- takes a lease (a random token valid until a deadline) in a short transaction, thinks with no
-- connection held, and writes in a second short transaction only if the lease is still its own.
-- A worker killed mid-turn leaves a lease that simply expires.
alter table conversations add column turn_lease_token text;
alter table conversations add column turn_lease_until timestamptz;
