/**
 * Splits text into parts of at most `limit` UTF-16 units (Meta's 4,096-character body limit),
 * preferring paragraph, then line, then sentence, then word boundaries; never splits a surrogate
 * pair. Joining the parts with the separators that were cut gives back the text (whitespace at the
 * cut is dropped).
 */
export function splitText(text: string, limit = 4096): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const cut = findCut(rest, limit);
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}

function findCut(text: string, limit: number): number {
  const window = text.slice(0, limit + 1);
  const minimum = Math.floor(limit / 2); // don't produce tiny parts just to hit a boundary
  for (const boundary of [/\n\s*\n/g, /\n/g, /[.!?…](?=\s)/g, /\s/g]) {
    let best = -1;
    for (const m of window.matchAll(boundary)) {
      const end = m.index + (boundary.source.startsWith("[") ? 1 : 0);
      if (end <= limit && end >= minimum) best = end;
    }
    if (best > 0) return best;
  }
  // No boundary: hard cut, moved back one unit if it would split a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}
