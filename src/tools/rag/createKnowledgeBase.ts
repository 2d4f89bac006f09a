import type pg from "pg";
import { z } from "zod";
import { prepared } from "../../db/prepared.ts";
import { foldText } from "./foldText.ts";
import { fuseRankings } from "./fuseRankings.ts";
import { hasTable } from "./indexKnowledge.ts";
import { planQuery, type Vocabulary } from "./planQuery.ts";

export type Passage = { pageId: string; title: string; heading: string; text: string; score: number };
export type Retrieval = { passages: Passage[]; ms: number; mode: "keyword" | "hybrid" };
export type KnowledgeBase = {
  search(question: string, k?: number): Promise<Retrieval>;
  /** Pages in the index as of the last search or refresh (0 before either). */
  pages(): number;
  /** Reloads what the index holds (vocabulary, extensions); search does it when the index changed. */
  refresh(): Promise<void>;
};

type State = { hash: string; pages: number; vocabulary: Vocabulary; trigram: boolean; vectors: boolean };

const rowSchema = z.object({
  id: z.string(),
  page_id: z.string(),
  title: z.string(),
  heading: z.string(),
  body: z.string(),
  kw: z.number(),
  coverage: z.number(),
  trg: z.number(),
});
type Row = z.infer<typeof rowSchema>;

/** Candidate chunks scored before keeping the best one per page. */
const CANDIDATES = 60;
const VECTOR_CANDIDATES = 20;
/**
 * A chunk must match at least this share of the question (idf-weighted): "previsão do tempo para
 * Recife amanhã" shares "tempo" with a privacy page, which is not an answer.
 */
const MIN_COVERAGE = 0.35;

/*
 * Keyword scoring in one statement. Question words are stemmed by the 'portuguese' configuration
 * (stop words drop out); synonym groups add their other stems at a lower weight. Each stem weighs
 * its BM25-style idf times ts_rank against the chunk (title A, heading B, text D), so "energia",
 * which every page says, counts little. `coverage` is the idf share of the question's words that
 * the chunk matches: what separates "vai chover amanhã?" (no word of ours) from a real question.
 */
const keywordSql = (trigram: boolean) => `
with words as (
  select * from unnest($1::text[], $2::float8[], $3::int[]) as w(word, weight, grp)
), lex as (
  select l.lexeme, w.weight, w.grp, false as synonym
  from words w cross join lateral unnest(to_tsvector('portuguese', w.word)) as l
), syn as (
  select s2.lexeme, l.weight * 0.6 as weight, l.grp, true as synonym
  from lex l
  join knowledge_synonyms s1 on s1.lexeme = l.lexeme
  join knowledge_synonyms s2 on s2.group_id = s1.group_id and s2.lexeme <> s1.lexeme
), terms as (
  select distinct on (lexeme) lexeme, weight, grp, synonym, (quote_literal(lexeme) || case when length(lexeme) >= 5 then ':*' else '' end)::tsquery as q
  from (select * from lex union all select * from syn) t
  order by lexeme, synonym, weight desc
), n as (
  select greatest(count(*), 1)::float8 as n from knowledge_chunks
), stats as (
  -- A prefix stem (residenc:*) takes the df of its most frequent completion: close enough for idf.
  select t.*, d.df, ln(1 + (n.n - d.df + 0.5) / (d.df + 0.5)) as idf
  from terms t cross join n
  cross join lateral (
    select coalesce(max(k.df), 0)::float8 as df from knowledge_lexemes k
    where k.lexeme = t.lexeme or (length(t.lexeme) >= 5 and k.lexeme like t.lexeme || '%')
  ) d
), grps as (
  -- A short word the pages never use counts less: "reais", "jogo" should not sink a real question.
  -- A long one the pages never use ("flamengo", "condicionado") is what the question is about, and
  -- we know nothing of it: it counts more, so a chunk matching only the small words ("começa",
  -- "instalação") does not cover the question.
  select grp, max(idf) filter (where not synonym)
    * case when max(df) filter (where not synonym) > 0 then 1
           when max(length(lexeme)) filter (where not synonym) >= 6 then 1.5
           else 0.7 end as idf
  from stats group by grp
), total as (
  select coalesce(sum(idf), 0) as total from grps
), hits as (
  select c.id, sum(s.weight * s.idf * ts_rank('{0.3,0.4,0.7,1.0}', c.tsv, s.q)) as kw, array_agg(distinct s.grp) as matched
  from stats s join knowledge_chunks c on c.tsv @@ s.q
  group by c.id
  order by kw desc
  limit ${CANDIDATES}
)
-- Coverage and trigrams only for the best candidates: they cost more than the keyword rank.
select c.id::text, c.page_id, c.title, c.heading, c.body, h.kw::float8 as kw,
  coalesce((select sum(g.idf) from grps g where g.grp = any(h.matched)) / nullif((select total from total), 0), 0)::float8 as coverage,
  ${trigram ? "word_similarity(c.folded_heading, $4)::float8" : "0::float8"} as trg
from hits h join knowledge_chunks c on c.id = h.id`;

/**
 * Retrieval over the indexed knowledge base (see indexKnowledge). Keyword mode always; with
 * `embed` and a knowledge_vectors table (pgvector), also a vector ranking fused with the keyword
 * one (reciprocal rank fusion): mode "hybrid". At most one passage per page, best first.
 */
export function createKnowledgeBase(opts: {
  pool: pg.Pool;
  embed?: (texts: string[]) => Promise<number[][]>;
}): KnowledgeBase {
  const { pool, embed } = opts;
  let state: State | undefined;

  async function refresh(): Promise<void> {
    const { rows } = await pool.query<{ content_hash: string; pages: number }>(
      "select content_hash, pages from knowledge_state",
    );
    const row = rows[0];
    if (state && row && state.hash === row.content_hash) return;
    const vocabulary: Vocabulary = new Map();
    const terms = await pool.query<{ word: string; folded: string; df: number }>(
      "select word, folded, df from knowledge_terms",
    );
    for (const t of terms.rows) {
      const entry = vocabulary.get(t.folded);
      if (entry) {
        entry.words.push(t.word);
        entry.df += t.df;
      } else vocabulary.set(t.folded, { words: [t.word], df: t.df });
    }
    const ext = await pool.query<{ trigram: boolean }>(
      "select exists (select 1 from pg_extension where extname = 'pg_trgm') as trigram",
    );
    state = {
      hash: row?.content_hash ?? "",
      pages: row?.pages ?? 0,
      vocabulary,
      trigram: ext.rows[0]?.trigram === true,
      vectors: embed !== undefined && (await hasTable(pool, "knowledge_vectors")),
    };
  }

  return {
    pages: () => state?.pages ?? 0,
    refresh,
    async search(question, k = 3) {
      const started = performance.now();
      await refresh();
      const current = state;
      if (!current) return { passages: [], ms: 0, mode: "keyword" };
      const plan = planQuery(question, current.vocabulary);
      const mode = current.vectors && embed ? "hybrid" : "keyword";
      const rows: Row[] = [];
      if (plan.words.length > 0) {
        const result = await pool.query(
          // Prepared: each connection parses and plans this statement once.
          prepared(keywordSql(current.trigram), [
            plan.words,
            plan.weights,
            plan.groups,
            // $4 exists only in the trigram variant: a prepared statement takes exactly its parameters.
            ...(current.trigram ? [foldText(question)] : []),
          ]),
        );
        for (const r of result.rows) rows.push(rowSchema.parse(r));
      }
      const scored = rows
        .filter((r) => r.coverage >= MIN_COVERAGE)
        .map((r) => ({ row: r, score: relevance(r) }))
        .sort((a, b) => b.score - a.score);
      const byId = new Map(scored.map((s) => [s.row.id, s]));
      let order = rankPages(scored.map((s) => ({ id: s.row.id, pageId: s.row.page_id, score: s.score })));
      if (mode === "hybrid" && embed) {
        // The embeddings endpoint is an extra: when it fails, the keyword ranking answers alone.
        const vectorHits = await vectorSearch(pool, embed, question, byId).catch(() => undefined);
        if (vectorHits) order = fuseRankings([order, vectorHits]).map((f) => f.id);
      }
      const passages: Passage[] = [];
      const pagesSeen = new Set<string>();
      for (const id of order) {
        const hit = byId.get(id);
        if (!hit || pagesSeen.has(hit.row.page_id)) continue;
        pagesSeen.add(hit.row.page_id);
        passages.push({
          pageId: hit.row.page_id,
          title: hit.row.title,
          heading: hit.row.heading,
          text: hit.row.body,
          score: Math.round(hit.score * 1000) / 1000,
        });
        if (passages.length >= k) break;
      }
      return { passages, ms: Math.round((performance.now() - started) * 10) / 10, mode };
    },
  };
}

/**
 * One relevance number per chunk: keyword strength, scaled by how much of the question the chunk
 * covers, plus a small trigram bonus (typos the vocabulary could not fix). Exported for the eval.
 */
export function relevance(r: { kw: number; coverage: number; trg: number }): number {
  const raw = r.kw * (0.75 + 0.25 * r.coverage) + 0.5 * r.trg;
  // Squashed to 0..1 so operators can set a threshold without knowing the scale.
  return raw / (raw + 2);
}

/**
 * Best chunk per page, pages ordered by their best chunk plus a quarter of their second best: a
 * page with several matching sections is more likely the page about the question. Returns chunk
 * ids, one per page. Pure.
 */
export function rankPages(chunks: { id: string; pageId: string; score: number }[]): string[] {
  const pages = new Map<string, { id: string; best: number; second: number }>();
  for (const c of chunks) {
    const page = pages.get(c.pageId);
    if (!page) pages.set(c.pageId, { id: c.id, best: c.score, second: 0 });
    else if (c.score > page.best) pages.set(c.pageId, { id: c.id, best: c.score, second: page.best });
    else if (c.score > page.second) page.second = c.score;
  }
  return [...pages.values()].sort((a, b) => b.best + b.second / 4 - (a.best + a.second / 4)).map((p) => p.id);
}

/** Nearest chunks by cosine distance; their rows join the candidates so fusion can pick them. */
async function vectorSearch(
  pool: pg.Pool,
  embed: (texts: string[]) => Promise<number[][]>,
  question: string,
  byId: Map<string, { row: Row; score: number }>,
): Promise<string[]> {
  const [vector] = await embed([question]);
  if (!vector) return [];
  const { rows } = await pool.query(
    `select c.id::text, c.page_id, c.title, c.heading, c.body, 0::float8 as kw, 0::float8 as coverage, 0::float8 as trg
     from knowledge_vectors v join knowledge_chunks c on c.id = v.chunk_id
     order by v.embedding <=> $1::text::vector
     limit ${VECTOR_CANDIDATES}`,
    [`[${vector.join(",")}]`],
  );
  const ids: string[] = [];
  for (const raw of rows) {
    const row = rowSchema.parse(raw);
    if (!byId.has(row.id)) byId.set(row.id, { row, score: 0 });
    ids.push(row.id);
  }
  return ids;
}
