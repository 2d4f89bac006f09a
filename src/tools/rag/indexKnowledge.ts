import { createHash } from "node:crypto";
import type pg from "pg";
import { withTransaction } from "../../db/withTransaction.ts";
import { chunkPage, stripMarkdown } from "./chunkPage.ts";
import { foldText, wordsOf } from "./foldText.ts";
import type { Knowledge } from "./loadKnowledge.ts";

/** Bumped when chunking or the stored form changes, so a deploy re-indexes unchanged pages too. */
const INDEX_FORMAT = "2";
/** Arbitrary constant: replicas starting together index once. */
const INDEX_LOCK_ID = 7_312_008_001;
const EMBED_BATCH = 64;

export type IndexResult = { indexed: boolean; pages: number; chunks: number; vectors: boolean; ms: number };

/**
 * Stores the knowledge base in Postgres, in one transaction, only when its content hash changed:
 * one chunk per heading (with the page title), a weighted tsvector (title A, heading B, text D),
 * the folded title and heading for trigram similarity, the vocabulary for typo correction and the synonym stems.
 * With `embed` and pgvector on the server, every chunk's embedding too.
 */
export async function indexKnowledge(
  pool: pg.Pool,
  knowledge: Knowledge,
  options: { embed?: (texts: string[]) => Promise<number[][]>; force?: boolean } = {},
): Promise<IndexResult> {
  const started = performance.now();
  const hash = createHash("sha256")
    .update(`${INDEX_FORMAT}\0${knowledge.hash}\0${options.embed ? "vectors" : "keyword"}`)
    .digest("hex");
  const chunks = knowledge.pages.flatMap((page) =>
    chunkPage(page.title, page.body).map((c) => ({
      pageId: page.id,
      ord: c.ord,
      title: page.title,
      heading: c.heading,
      body: stripMarkdown(c.text),
    })),
  );
  const summary = { pages: knowledge.pages.length, chunks: chunks.length };
  return withTransaction(pool, async (client) => {
    await client.query("select pg_advisory_xact_lock($1)", [INDEX_LOCK_ID]);
    const { rows } = await client.query<{ content_hash: string }>("select content_hash from knowledge_state");
    const vectors = options.embed !== undefined && (await hasTable(client, "knowledge_vectors"));
    if (!options.force && rows[0]?.content_hash === hash) {
      return { indexed: false, ...summary, vectors, ms: elapsed(started) };
    }
    await client.query("delete from knowledge_pages");
    await client.query("delete from knowledge_terms");
    await client.query("delete from knowledge_synonyms");
    await client.query("delete from knowledge_lexemes");
    await client.query(
      `insert into knowledge_pages (id, title, updated, file)
         select * from unnest($1::text[], $2::text[], $3::date[], $4::text[])`,
      [
        knowledge.pages.map((p) => p.id),
        knowledge.pages.map((p) => p.title),
        knowledge.pages.map((p) => p.updated),
        knowledge.pages.map((p) => p.file),
      ],
    );
    const inserted = await client.query<{ id: string }>(
      `insert into knowledge_chunks (page_id, ord, title, heading, body, folded_heading, tsv)
         select page_id, ord, title, heading, body, folded_heading,
                setweight(to_tsvector('portuguese', title), 'A') ||
                setweight(to_tsvector('portuguese', heading), 'B') ||
                setweight(to_tsvector('portuguese', body), 'D')
         from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[])
           as c(page_id, ord, title, heading, body, folded_heading)
         order by page_id, ord
         returning id`,
      [
        chunks.map((c) => c.pageId),
        chunks.map((c) => c.ord),
        chunks.map((c) => c.title),
        chunks.map((c) => c.heading),
        chunks.map((c) => c.body),
        chunks.map((c) => foldText(`${c.title} ${c.heading}`)),
      ],
    );
    await client.query(
      "insert into knowledge_lexemes (lexeme, df) select word, ndoc from ts_stat('select tsv from knowledge_chunks')",
    );
    // Vocabulary with document frequency (in chunks); synonym words join it so that a typo in
    // a customer's word ("telhadu") is corrected even when the pages use another word.
    const df = new Map<string, number>();
    for (const c of chunks)
      for (const w of new Set(wordsOf(`${c.title} ${c.heading} ${c.body}`))) df.set(w, (df.get(w) ?? 0) + 1);
    for (const w of knowledge.synonyms.flat().flatMap((s) => wordsOf(s))) if (!df.has(w)) df.set(w, 0);
    const words = [...df.keys()].filter((w) => w.length >= 2 && !/^\d+$/.test(w));
    await client.query(
      "insert into knowledge_terms (word, folded, df) select * from unnest($1::text[], $2::text[], $3::int[])",
      [words, words.map(foldText), words.map((w) => df.get(w) ?? 0)],
    );
    const groupIds = knowledge.synonyms.flatMap((g, i) => g.flatMap(() => [i, i]));
    const groupWords = knowledge.synonyms.flatMap((g) => g.flatMap((w) => [w, foldText(w)]));
    await client.query(
      `insert into knowledge_synonyms (group_id, lexeme)
         select s.group_id, l.lexeme
         from unnest($1::int[], $2::text[]) as s(group_id, word)
           cross join lateral unnest(to_tsvector('portuguese', s.word)) as l
         on conflict do nothing`,
      [groupIds, groupWords],
    );
    if (vectors && options.embed) {
      const ids = inserted.rows.map((r) => r.id);
      for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
        const batch = chunks.slice(i, i + EMBED_BATCH);
        const embeddings = await options.embed(batch.map((c) => `${c.title}\n${c.heading}\n${c.body}`));
        if (embeddings.length !== batch.length)
          throw new Error("the embeddings endpoint answered a different count");
        await client.query(
          "insert into knowledge_vectors (chunk_id, embedding) select * from unnest($1::bigint[], $2::text[]::vector[])",
          [ids.slice(i, i + EMBED_BATCH), embeddings.map((e) => `[${e.join(",")}]`)],
        );
      }
    }
    await client.query(
      `insert into knowledge_state (content_hash, pages, chunks) values ($1, $2, $3)
         on conflict (singleton) do update set content_hash = excluded.content_hash, pages = excluded.pages,
           chunks = excluded.chunks, indexed_at = now()`,
      [hash, summary.pages, summary.chunks],
    );
    return { indexed: true, ...summary, vectors, ms: elapsed(started) };
  });
}

export async function hasTable(client: pg.ClientBase | pg.Pool, name: string): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>("select to_regclass($1) is not null as found", [
    name,
  ]);
  return rows[0]?.found === true;
}

const elapsed = (started: number) => Math.round(performance.now() - started);
