import type { QueryGroup } from "./buildQuery.ts";
import type { SearchIndex } from "./buildSearchIndex.ts";
import { termsOfWord } from "./buildSearchIndex.ts";
import { wordsOf } from "./foldText.ts";
import { groupIdf } from "./rankPages.ts";
import { tableCells } from "./trimPassage.ts";

/** About what a phone shows without scrolling much. */
export const EXCERPT_CHARS = 480;

/** What a sentence without a number keeps of its score when the question asks for a figure. */
const FIGURELESS = 0.5;
/** The most a section answer holds: a WhatsApp message read without much scrolling. */
export const SECTION_CHARS = 900;
/** The most of the budget a second section takes when the two do not fit whole. */
const SECOND_SHARE = 1 / 3;
/** A table row is quoted when it matches this share of the best row. */
const ROW_SHARE = 0.5;
/** Another section comes too when its best sentence scores this share of the best one. */
const SECOND_SECTION = 0.6;
/** A sentence brings the next one of its paragraph when both fit in this much. */
const NEIGHBOURS_CHARS = 220;
/** Lists up to this many items are quoted whole when one item matches. */
const SHORT_LIST = 3;
/** How much a section heading's match adds to each of its sentences. */
const HEADING_SHARE = 0.5;

/** A sentence, a list item or a table row of a page, in page order. */
type Unit = {
  text: string;
  heading: string;
  /** Units of the same paragraph or list share a block. */
  block: number;
  /** For a list item: the sentence that introduces the list ("…podem assinar com estas regras:"). */
  leadIn?: number;
  /** A list item (its block is the list). */
  item?: boolean;
  /** For a table row: the header cells, so only the asked columns are quoted. */
  header?: string[];
  cells?: string[];
};

/**
 * The answer in degraded mode: the page's sentences (list items, table rows) that match the
 * question best, with their neighbours, in page order and cut to WhatsApp size. A table row
 * keeps only the columns the question names ("empresa" → the commercial column) when it names
 * any. Pure.
 */
export function selectSentences(
  index: SearchIndex,
  pageId: string,
  groups: QueryGroup[],
  wantsFigure = false,
): { text: string; section: string; heading?: string } {
  const page = index.pages.get(pageId);
  if (!page) return { text: "", section: "" };
  const units = unitsOf(page.chunks.flatMap((i) => (index.chunks[i] ? [index.chunks[i]] : [])));
  const weightOf = (text: string) => matchScore(text, groups, index);
  // A sentence is also about its section's heading ("O percentual muda depois?"), at a lower
  // weight; a table row is about its column headers too.
  const headingScore = new Map<string, number>();
  const scored = units.map((u, i) => {
    // Every row shares the header: only a row's own cells make it the answer.
    const own = weightOf(u.cells ? u.cells.join(" ") : u.text);
    const context = u.cells ? weightOf((u.header ?? []).join(" ")) : 0;
    if (!headingScore.has(u.heading)) headingScore.set(u.heading, weightOf(u.heading));
    const s = own > 0 ? own + HEADING_SHARE * (context + (headingScore.get(u.heading) ?? 0)) : 0;
    // "Quanto tempo demora?" is answered by a sentence with a number.
    return { i, s: wantsFigure && !/\d/.test(u.cells ? u.cells.join(" ") : u.text) ? s * FIGURELESS : s };
  });
  const ranked = scored.filter((x) => x.s > 0).sort((a, b) => b.s - a.s || a.i - b.i);
  const top = ranked[0] ?? sectionOpening(units, headingScore, weightOf(page.title));
  if (!top) return { text: "", section: "" };
  const chosen = new Set<number>();
  const withNeighbours = (i: number) => {
    const u = units[i];
    if (!u) return;
    chosen.add(i);
    if (u.leadIn !== undefined) chosen.add(u.leadIn);
    // A sentence that introduces a list ("…:") needs the list; a short one, the sentence after it
    // ("…leva de 60 a 90 dias. Os créditos aparecem em 2 ou 3 ciclos.").
    const next = units[i + 1];
    if (
      next &&
      next.block === u.block &&
      (u.text.endsWith(":") || u.text.length + next.text.length <= NEIGHBOURS_CHARS)
    )
      chosen.add(i + 1);
    if (u.text.endsWith(":")) for (let j = i + 1; units[j]?.leadIn === i && j < i + 6; j++) chosen.add(j);
    // A list item of a short list answers with the list: "quais as formas de pagamento?".
    const list = [...units.keys()].filter((j) => units[j]?.item && units[j]?.block === u.block);
    if (u.item && list.length <= SHORT_LIST) for (const j of list) chosen.add(j);
  };
  withNeighbours(top.i);
  for (const other of ranked.slice(1, 4))
    if (
      other.s >= 0.6 * top.s &&
      render(units, new Set([...chosen, other.i]), groups, index).length <= EXCERPT_CHARS
    )
      withNeighbours(other.i);
  const heading = units[top.i]?.heading;
  const text = render(units, chosen, groups, index);
  const titled = (h: string | undefined, body: string) =>
    h && h !== page.title && body ? `*${h}*\n${body}` : body;
  const section = sectionAnswer(units, scored, chosen, top.i, groups, index, titled);
  return { text: cut(titled(heading, text)), section, ...(heading ? { heading } : {}) };
}

/**
 * "como funciona?" matches only a heading or the page title, no sentence: the first sentence of
 * the best-matching section (of the page, for the title) opens the answer.
 */
function sectionOpening(
  units: Unit[],
  headingScore: Map<string, number>,
  titleScore: number,
): { i: number; s: number } | undefined {
  let best: { i: number; s: number } | undefined;
  units.forEach((u, i) => {
    const s = headingScore.get(u.heading) ?? 0;
    if (s > 0 && (!best || s > best.s)) best = { i, s };
  });
  return best ?? (titleScore > 0 && units.length > 0 ? { i: 0, s: titleScore } : undefined);
}

/**
 * The degraded answer a customer reads: the whole section of the best sentence (its heading's
 * paragraphs and lists, as the operator wrote them) rather than a few picked sentences, which miss
 * the sentence after the one that matched as often as not. Table rows stay filtered to the asked
 * ones. A section too long keeps the picked sentences and the units nearest them; a second section
 * whose own best sentence matches nearly as well comes too when it fits.
 */
function sectionAnswer(
  units: Unit[],
  scored: { i: number; s: number }[],
  chosen: Set<number>,
  topIndex: number,
  groups: QueryGroup[],
  index: SearchIndex,
  titled: (heading: string | undefined, body: string) => string,
): string {
  const score = (i: number) => scored[i]?.s ?? 0;
  const sectionOf = (i: number) => {
    const heading = units[i]?.heading;
    const members = [...units.keys()].filter((j) => units[j]?.heading === heading);
    // Only the asked rows of a table: a whole price table buries the one the customer needs.
    const rows = members.filter((j) => units[j]?.cells);
    const bestRow = Math.max(0, ...rows.map(score));
    return members.filter((j) => !units[j]?.cells || bestRow === 0 || score(j) >= ROW_SHARE * bestRow);
  };
  const build = (parts: Set<number>[]) =>
    parts
      .map((set) => {
        const first = Math.min(...set);
        return titled(units[first]?.heading, render(units, set, groups, index));
      })
      .join("\n\n");
  const one = (set: Set<number>) => build([set]);
  const main = sectionOf(topIndex);
  const bestScore = score(topIndex);
  const heading = units[topIndex]?.heading;
  const second = [...scored]
    .sort((a, b) => b.s - a.s)
    .find((o) => o.s > 0 && o.s >= SECOND_SECTION * bestScore && units[o.i]?.heading !== heading);
  const alone = () => build([fitted(main, chosen, topIndex, SECTION_CHARS, one)]);
  if (!second) return alone();
  const other = sectionOf(second.i);
  // Page order, as the operator wrote it.
  const both = (a: Set<number>, b: Set<number>) => build(Math.min(...a) < Math.min(...b) ? [a, b] : [b, a]);
  const whole = both(new Set(main), new Set(other));
  if (whole.length <= SECTION_CHARS) return whole;
  // Both do not fit whole: the second section shrinks to its matching sentence and what is near it,
  // the first keeps the rest of the room.
  const small = fitted(other, new Set([second.i]), second.i, SECOND_SHARE * SECTION_CHARS, one);
  const room = SECTION_CHARS - one(small).length - 2;
  const text = both(fitted(main, chosen, topIndex, room, one), small);
  return text.length <= SECTION_CHARS ? text : alone();
}

/**
 * The section's units that fit in `budget` characters: the picked sentences first, then the others by
 * distance from the best one, shown in page order.
 */
function fitted(
  members: number[],
  chosen: Set<number>,
  topIndex: number,
  budget: number,
  render: (set: Set<number>) => string,
): Set<number> {
  const length = (set: Set<number>) => render(set).length;
  const whole = new Set(members);
  if (length(whole) <= budget) return whole;
  const kept = new Set([...chosen].filter((i) => whole.has(i)));
  if (kept.size === 0) kept.add(topIndex);
  const rest = members
    .filter((i) => !kept.has(i))
    .sort((a, b) => Math.abs(a - topIndex) - Math.abs(b - topIndex));
  for (const i of rest) {
    const next = new Set([...kept, i]);
    if (length(next) <= budget) kept.add(i);
  }
  return kept;
}

/** idf-weighted share of the question's words a text holds. */
function matchScore(text: string, groups: QueryGroup[], index: SearchIndex): number {
  const terms = new Set(wordsOf(text).flatMap((w) => termsOfWord(w, index.stems)));
  let s = 0;
  for (const g of groups) {
    const best = Math.max(0, ...g.terms.filter((t) => terms.has(t.key)).map((t) => t.weight));
    s += g.weight * best * groupIdf(g, index);
  }
  return s;
}

function unitsOf(chunks: { heading: string; body: string }[]): Unit[] {
  const units: Unit[] = [];
  let block = 0;
  for (const chunk of chunks) {
    let header: string[] | undefined;
    let leadIn: number | undefined;
    for (const line of chunk.body.split("\n")) {
      const trimmed = line.trim();
      if (!trimmed) {
        // A list often follows its lead-in ("…alguns valores:") after a blank line; after the
        // list's last item, a blank line starts a new paragraph.
        if (leadIn === undefined || units.at(-1)?.item) {
          block++;
          leadIn = undefined;
        }
        header = undefined;
        continue;
      }
      const cells = tableCells(trimmed);
      if (cells) {
        if (cells.length === 0) continue;
        if (!header) header = cells;
        else units.push({ text: cells.slice(1).join(" "), heading: chunk.heading, block, header, cells });
        continue;
      }
      const item = /^(?:-|\d+\.)\s+(.*)$/.exec(trimmed);
      if (item?.[1]) {
        units.push({
          text: item[1],
          heading: chunk.heading,
          block,
          item: true,
          ...(leadIn !== undefined ? { leadIn } : {}),
        });
        continue;
      }
      for (const sentence of trimmed.split(/(?<=[.!?])\s+(?=[\p{Lu}\d"])/u)) {
        units.push({ text: sentence, heading: chunk.heading, block });
        leadIn = sentence.endsWith(":") ? units.length - 1 : undefined;
      }
    }
    block++;
  }
  return units;
}

function render(units: Unit[], chosen: Set<number>, groups: QueryGroup[], index: SearchIndex): string {
  const out: string[] = [];
  let lastBlock = -1;
  for (const i of [...chosen].sort((a, b) => a - b)) {
    const u = units[i];
    if (!u) continue;
    const text = u.cells ? rowText(u, groups, index) : u.item ? `- ${u.text}` : u.text;
    const sameLine = u.block === lastBlock && !u.cells && !u.item && !out.at(-1)?.endsWith(":");
    if (sameLine && out.length) out[out.length - 1] = `${out.at(-1)} ${text}`;
    else out.push(text);
    lastBlock = u.block;
  }
  return out.join("\n");
}

/** "CEMIG — Desconto residencial: 20%", only the columns the question names when it names any. */
function rowText(u: Unit, groups: QueryGroup[], index: SearchIndex): string {
  const cells = u.cells ?? [];
  const header = u.header ?? [];
  const columns = cells.map((_, j) => j).slice(1);
  // The best-matching column headers only: "residencial" picks "Desconto residencial", not every
  // "Desconto …" column.
  const scores = columns.map((j) => matchScore(header[j] ?? "", groups, index));
  const top = Math.max(0, ...scores);
  const asked = columns.filter((_, k) => top > 0 && (scores[k] ?? 0) >= top);
  const shown = asked.length > 0 && asked.length < columns.length ? asked : columns;
  return `- ${cells[0]}: ${shown.map((j) => `${header[j] ?? ""} ${cells[j] ?? ""}`.trim()).join("; ")}`;
}

function cut(text: string): string {
  if (text.length <= EXCERPT_CHARS) return text;
  const lines = text.split("\n");
  let out = "";
  for (const line of lines) {
    if ((out + line).length > EXCERPT_CHARS) break;
    out = out ? `${out}\n${line}` : line;
  }
  if (!out) out = text.slice(0, EXCERPT_CHARS).replace(/\s+\S*$/, "");
  return `${out} …`;
}
