/** A word of a message: as typed, folded (lowercase, no accents, no apostrophes), and where it is. */
export type Token = {
  text: string;
  norm: string;
  start: number;
  end: number;
  /** Punctuation between the previous word and this one (",", "/", "-", "." …), trimmed. */
  sep: string;
};

const WORD = /[\p{L}\p{N}]+(?:['’`][\p{L}]+)*/gu;

/** Folds a word the way customers' typing varies: case, accents, apostrophes ("d'Oeste"). */
export function foldWord(word: string): string {
  return word
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’`]/g, "");
}

/** The words of a text with their positions and the punctuation before each. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    const start = m.index ?? 0;
    tokens.push({
      text: m[0],
      norm: foldWord(m[0]),
      start,
      end: start + m[0].length,
      sep: text.slice(last, start).replace(/\s+/g, ""),
    });
    last = start + m[0].length;
  }
  return tokens;
}

/** Whether the customer wrote this word with a capital, not just because a sentence starts there. */
export function isCapitalized(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  if (!t || !/^\p{Lu}/u.test(t.text)) return false;
  const prev = tokens[i - 1];
  return prev !== undefined && !/[.!?]$/.test(prev.sep === "" ? "" : t.sep);
}
