-- After an LGPD erasure, Meta may still re-deliver a webhook of the erased customer's messages
-- (it retries for days). A salted hash of each erased message id is kept, so such a re-delivery is
-- acknowledged and dropped instead of starting the conversation again. The salt is random per
-- installation and stays in the database: the hashes cannot be matched against message ids
-- elsewhere.
create table erasure_salt (
  only_row boolean primary key default true check (only_row),
  salt bytea not null
);
insert into erasure_salt (salt)
values (decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'));

-- The one definition of the hash, used by the erasure and by the webhook store.
create function erased_message_hash(wamid text) returns bytea language sql stable
  as $$ select sha256((select salt from erasure_salt) || convert_to(wamid, 'UTF8')) $$;

create table erased_messages (
  wamid_hash bytea primary key,
  erased_at timestamptz not null default now()
);
