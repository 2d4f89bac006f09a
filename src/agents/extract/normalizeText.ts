/** Lowercase, accents removed, punctuation to spaces, spaces collapsed: what customers' typing varies in. */
export function normalizeText(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}@.,$+\-\s]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** normalizeText without sentence punctuation: the words of a short answer ("Sim!", "PARAR."). */
export function normalizeWords(text: string): string {
  return normalizeText(text)
    .replace(/[.,!]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** Edit distance (insert, delete, substitute), for names typed with a typo. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** Typos allowed for a word of this length: none for short words, where one letter changes the word. */
export function typoBudget(length: number): number {
  return length >= 9 ? 2 : length >= 5 ? 1 : 0;
}
