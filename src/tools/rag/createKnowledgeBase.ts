import type pg from "pg";
import { type AskedThing, askedThing } from "./askedThing.ts";
import { buildQuery, type QueryGroup } from "./buildQuery.ts";
import { buildSearchIndex, type SearchIndex } from "./buildSearchIndex.ts";
import { asksForFigure, givesAmount } from "./decideDontKnow.ts";
import { focusOf } from "./focusOf.ts";
import { foldText } from "./foldText.ts";
import { followPointer } from "./followReference.ts";
import { fuseRankings } from "./fuseRankings.ts";
import { hasTable } from "./indexKnowledge.ts";
import { namesThing } from "./namesThing.ts";
import { placeTerms } from "./placeTerms.ts";
import { questionFirst } from "./questionFirst.ts";
import { groupIdf, type PageHit, rankPages, relevance } from "./rankPages.ts";
import { selectSentences } from "./selectSentences.ts";
import { splitQuestions } from "./splitQuestions.ts";
import { statesCount } from "./statesCount.ts";

export type Passage = {
  pageId: string;
  title: string;
  heading: string;
  /** The page's best-matching chunk, as stored. */
  text: string;
  /** 0..1, from the raw BM25F score (see relevance). */
  score: number;
  /** The page's sentences that answer the question, with their neighbours, WhatsApp-sized. */
  excerpt: string;
  /** The degraded-mode answer: the section(s) of those sentences, whole when they fit WhatsApp size. */
  section: string;
};

/** What one question of the message found, and the evidence the "não sei" decision weighs. */
export type QuestionResult = {
  text: string;
  passages: Passage[];
  evidence: Evidence;
};
export type Evidence = {
  /** Raw BM25F score of the best page (0 when nothing matched). */
  best: number;
  /** Best page's score over the second's: 1 = no competitor. */
  margin: number;
  /** Share (idf-weighted) of the question's content words the best page holds. */
  coverage: number;
  /** Content words of the question that the knowledge base never uses (after typo correction). */
  unknown: string[];
  /** Content words of the question (weight 1). */
  words: number;
  /**
   * Best page's raw score per unit of the question's information (the idf of its content words):
   * near 1 and above when the page matches every word of the question well, however short it is.
   */
  strength: number;
  /** The thing or action a yes/no question asks about ("tem aplicativo?"), and whether the best page has it. */
  focus?: { word: string; onBestPage: boolean };
  /** For "quantos X?": whether the best page gives a number of X ("8 usinas"). */
  counted?: boolean;
  /** The thing the question asks about (see askedThing), and whether one section of the best page names it. */
  asked?: AskedThing & { inSection: boolean };
};

export type Retrieval = {
  passages: Passage[];
  ms: number;
  mode: "keyword" | "hybrid";
  /** One entry per question found in the message (two for "tem multa? e o aviso prévio?"). */
  questions: QuestionResult[];
};
export type KnowledgeBase = {
  search(question: string, k?: number): Promise<Retrieval>;
  /** Pages in the index as of the last search or refresh (0 before either). */
  pages(): number;
  /** Reloads what the index holds (chunks, stems, synonyms); search does it when the index changed. */
  refresh(): Promise<void>;
};

type State = { hash: string; pages: number; index: SearchIndex; vectors: boolean };

/** Personal context around the question counts this much; another question of the same message less. */
const CONTEXT_WEIGHT = 0.4;
const OTHER_QUESTION_WEIGHT = 0.3;
const VECTOR_CANDIDATES = 20;
/** Share of a question's coverage the message's best page must reach to answer it too. */
const COHERENT = 0.8;

/**
 * Retrieval over the indexed knowledge base (see indexKnowledge). Postgres keeps the chunks, the
 * vocabulary and the synonym stems; on refresh they become an in-memory BM25F index (title and
 * heading weighted, snowball stems from PostgreSQL's 'portuguese' configuration plus 5-letter
 * prefixes, synonyms, typo correction), so a search is a few milliseconds with no round trip.
 * The message is split into its question(s) and context first. With `embed` and a
 * knowledge_vectors table (pgvector), a vector ranking is fused with the keyword one (reciprocal
 * rank fusion): mode "hybrid". At most one passage per page, best first.
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
    state = {
      hash: row?.content_hash ?? "",
      pages: row?.pages ?? 0,
      index: await loadIndex(pool),
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
      const mode = current?.vectors && embed ? "hybrid" : "keyword";
      const empty: Retrieval = { passages: [], ms: 0, mode, questions: [] };
      if (!current) return empty;
      const { index } = current;
      const parts = splitQuestions(question);
      if (parts.questions.length === 0) return empty;
      // "sou de Feira de Santana": the town's name is where the customer is, not words of the
      // question; its state's code and name are searched instead.
      const place = placeTerms(question, index, CONTEXT_WEIGHT);
      const notPlace = (groups: QueryGroup[]) => groups.filter((g) => !place.nameWords.has(foldText(g.word)));
      const context = [...notPlace(buildQuery(parts.context, index, CONTEXT_WEIGHT)), ...place.groups];
      const asked = parts.questions.map((q) => notPlace(buildQuery(q, index)));
      const questions = parts.questions.map((text, i) => {
        const others = asked.flatMap((g, j) => (j === i ? [] : reweigh(g, OTHER_QUESTION_WEIGHT)));
        const groups = merge([...(asked[i] ?? []), ...others, ...context]);
        const ranked = preferCounted(index, questionFirst(rankPages(index, groups)), askedThing(text));
        return { text, groups, hits: followPointer(index, ranked, groups) };
      });
      const all = merge([...asked.flat(), ...context]);
      const allHits = rankPages(index, all);
      let order = allHits.map((h) => h.pageId);
      // The message's page comes first for each of its questions when it covers that question
      // nearly as well as the question's own best page ("tem multa? e o aviso prévio?": one page).
      const top = allHits[0];
      if (top && questions.length > 1)
        for (const q of questions) {
          const own = q.hits.find((h) => h.pageId === top.pageId);
          const first = q.hits[0];
          if (own && first && own !== first && own.coverage >= COHERENT * first.coverage)
            q.hits = [own, ...q.hits.filter((h) => h !== own)];
        }
      // Each question's best page is among the first: a two-question message gets both answers.
      const firsts = questions.flatMap((q) => (q.hits[0] ? [q.hits[0].pageId] : []));
      order = [...new Set([order[0] ?? "", ...firsts, ...order])].filter(Boolean);
      if (mode === "hybrid" && embed) {
        // The embeddings endpoint is an extra: when it fails, the keyword ranking answers alone.
        const vectorPages = await vectorSearch(pool, embed, question).catch(() => undefined);
        if (vectorPages) order = fuseRankings([order, vectorPages]).map((f) => f.id);
      }
      const hitsOf = new Map(allHits.map((h) => [h.pageId, h]));
      const passages = order.slice(0, k).map((pageId) => passageOf(index, pageId, hitsOf.get(pageId), all));
      return {
        passages,
        ms: Math.round((performance.now() - started) * 10) / 10,
        mode,
        questions: questions.map((q) => ({
          text: q.text,
          passages: q.hits
            .slice(0, k)
            .map((h) =>
              passageOf(index, h.pageId, h, q.groups, asksForFigure(q.text) || givesAmount(q.text)),
            ),
          evidence: evidenceOf(index, q.text, q.hits, q.groups),
        })),
      };
    },
  };
}

function passageOf(
  index: SearchIndex,
  pageId: string,
  hit: PageHit | undefined,
  groups: QueryGroup[],
  wantsFigure = false,
): Passage {
  const page = index.pages.get(pageId);
  const excerpt = selectSentences(index, pageId, groups, wantsFigure);
  // The section the answering sentences come from, else the page's best-scoring chunk.
  const section = page?.chunks.find((i) => excerpt.heading && index.chunks[i]?.heading === excerpt.heading);
  const chunk = index.chunks[section ?? hit?.chunk ?? page?.chunks[0] ?? 0];
  return {
    pageId,
    title: page?.title ?? chunk?.title ?? pageId,
    heading: chunk?.heading ?? "",
    text: chunk?.body ?? "",
    score: Math.round(relevance(hit?.raw ?? 0) * 1000) / 1000,
    excerpt: excerpt.text,
    section: excerpt.section,
  };
}

function evidenceOf(index: SearchIndex, text: string, hits: PageHit[], groups: QueryGroup[]): Evidence {
  const [first, second] = hits;
  const main = groups.filter((g) => g.weight >= 1);
  const word = focusOf(text);
  const group = word ? main.find((g) => foldText(g.word) === word) : undefined;
  const bag = first ? index.pages.get(first.pageId)?.bag : undefined;
  const onBestPage =
    !!group &&
    !!bag &&
    group.terms.some((t) => (t.weight >= 0.8 || t.key.startsWith("p:")) && bag.tf.has(t.key));
  const thing = askedThing(text);
  const information = main.reduce((n, g) => n + groupIdf(g, index), 0);
  return {
    ...(word ? { focus: { word, onBestPage } } : {}),
    ...(thing
      ? {
          asked: {
            ...thing,
            inSection: namesThing(index, first?.pageId, groups, thing.words),
          },
        }
      : {}),
    ...(thing?.count && thing.words[0] && first
      ? { counted: pageStatesCount(index, first.pageId, thing.words[0]) }
      : {}),
    best: first?.raw ?? 0,
    margin: first ? (second ? first.raw / second.raw : 1) : 0,
    coverage: first?.coverage ?? 0,
    unknown: main.filter((g) => !g.known).map((g) => g.word),
    words: main.length,
    strength: first ? first.raw / Math.max(information, Number.EPSILON) : 0,
  };
}

/** Pages near the top a "quantos X?" question looks through for a number of X. */
const COUNT_CANDIDATES = 3;

/**
 * "quantas usinas vocês têm?": of the first pages, the one that gives a number of the thing
 * ("8 usinas") answers it, whatever else another page shares with the question. Pure.
 */
function preferCounted(index: SearchIndex, hits: PageHit[], thing: AskedThing | undefined): PageHit[] {
  const word = thing?.count ? thing.words[0] : undefined;
  if (!word) return hits;
  const counted = hits.slice(0, COUNT_CANDIDATES).find((h) => pageStatesCount(index, h.pageId, word));
  return counted ? [counted, ...hits.filter((h) => h !== counted)] : hits;
}

function pageStatesCount(index: SearchIndex, pageId: string, word: string): boolean {
  const page = index.pages.get(pageId);
  return !!page?.chunks.some((i) => statesCount(index.chunks[i]?.body ?? "", word));
}

const reweigh = (groups: QueryGroup[], w: number) => groups.map((g) => ({ ...g, weight: g.weight * w }));

/** One group per word, the highest weight kept (a word in the question and in the context). */
function merge(groups: QueryGroup[]): QueryGroup[] {
  const byWord = new Map<string, QueryGroup>();
  for (const g of groups) {
    const seen = byWord.get(g.word);
    if (!seen || g.weight > seen.weight) byWord.set(g.word, g);
  }
  return [...byWord.values()];
}

/** Chunks, Portuguese stems of the vocabulary and synonym stems: what the in-memory index needs. */
async function loadIndex(pool: pg.Pool): Promise<SearchIndex> {
  const chunks = await pool.query<{
    id: string;
    page_id: string;
    title: string;
    heading: string;
    body: string;
  }>("select id::text, page_id, title, heading, body from knowledge_chunks order by page_id, ord");
  // ts_lexize gives the snowball stem, '' for a stop word; both spellings (with and without
  // accents) so a customer's "instalacao" meets the page's "instalação".
  const stems = await pool.query<{ word: string; stem: string | null }>(
    `select w as word, (ts_lexize('portuguese_stem', w))[1] as stem
       from (select word as w from knowledge_terms union select folded from knowledge_terms) t`,
  );
  const synonyms = await pool.query<{ group_id: number; lexeme: string }>(
    "select group_id, lexeme from knowledge_synonyms order by group_id",
  );
  const groups = new Map<number, string[]>();
  for (const s of synonyms.rows) groups.set(s.group_id, [...(groups.get(s.group_id) ?? []), s.lexeme]);
  return buildSearchIndex(
    chunks.rows.map((c) => ({
      id: c.id,
      pageId: c.page_id,
      title: c.title,
      heading: c.heading,
      body: c.body,
    })),
    new Map(stems.rows.map((s) => [s.word, s.stem ?? ""])),
    [...groups.values()],
  );
}

/** Pages of the nearest chunks by cosine distance, for fusion with the keyword ranking. */
async function vectorSearch(
  pool: pg.Pool,
  embed: (texts: string[]) => Promise<number[][]>,
  question: string,
): Promise<string[]> {
  const [vector] = await embed([question]);
  if (!vector) return [];
  const { rows } = await pool.query<{ page_id: string }>(
    `select c.page_id from knowledge_vectors v join knowledge_chunks c on c.id = v.chunk_id
     order by v.embedding <=> $1::text::vector
     limit ${VECTOR_CANDIDATES}`,
    [`[${vector.join(",")}]`],
  );
  return [...new Set(rows.map((r) => r.page_id))];
}
