-- FAQ knowledge base (#8): pages chunked by heading, Portuguese full-text search, optional
-- trigram similarity (pg_trgm) and optional embeddings (pgvector). The optional extensions are
-- created only where the server has them, so this migration runs on any PostgreSQL; the search
-- code checks pg_extension and degrades (no trigram bonus, keyword-only instead of hybrid).
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_trgm') then
    begin
      create extension if not exists pg_trgm;
    exception when others then
      -- e.g. a role that may not create extensions: keyword search works without it.
      raise notice 'pg_trgm not created: %', sqlerrm;
    end;
  end if;
  if exists (select 1 from pg_available_extensions where name = 'vector') then
    begin
      create extension if not exists vector;
    exception when others then
      raise notice 'vector not created: %', sqlerrm;
    end;
  end if;
end $$;

-- One row: what is indexed. content_hash covers the pages, the synonyms and the index format.
create table knowledge_state (
  singleton boolean primary key default true check (singleton),
  content_hash text not null,
  pages integer not null,
  chunks integer not null,
  indexed_at timestamptz not null default now()
);

create table knowledge_pages (
  id text primary key,
  title text not null,
  updated date not null,
  file text not null
);

create table knowledge_chunks (
  id bigserial primary key,
  page_id text not null references knowledge_pages (id) on delete cascade,
  ord integer not null,
  title text not null,
  heading text not null,
  body text not null,
  -- title and heading lowercase without accents: what trigram similarity compares the question
  -- with (the body's typos are the vocabulary's job; trigrams over whole bodies cost too much).
  folded_heading text not null,
  -- 'portuguese' stems accented words correctly (instalação → instal); the query side restores
  -- accents from the vocabulary below, which unaccent-before-stemming would get wrong.
  tsv tsvector not null,
  unique (page_id, ord)
);
create index knowledge_chunks_tsv on knowledge_chunks using gin (tsv);

-- The words of the pages (and synonyms), for typo correction and accent restoration of questions.
create table knowledge_terms (
  word text primary key,
  folded text not null,
  df integer not null
);

-- Chunk count per stem (ts_stat at indexing time): the idf of a question's stems without
-- counting matches at query time.
create table knowledge_lexemes (
  lexeme text primary key,
  df integer not null
);
create index knowledge_lexemes_prefix on knowledge_lexemes (lexeme text_pattern_ops);

-- Synonym groups as stems: a question stem in a group also searches the group's other stems.
create table knowledge_synonyms (
  group_id integer not null,
  lexeme text not null,
  primary key (group_id, lexeme)
);
create index knowledge_synonyms_lexeme on knowledge_synonyms (lexeme);

do $$
begin
  if exists (select 1 from pg_extension where extname = 'vector') then
    -- No fixed dimension: the embedding model is configuration; the base is small enough for an
    -- exact scan, so no ANN index (which would need one).
    execute 'create table knowledge_vectors (
      chunk_id bigint primary key references knowledge_chunks (id) on delete cascade,
      embedding vector not null)';
  end if;
end $$;
