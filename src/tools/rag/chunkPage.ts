export type Chunk = { ord: number; heading: string; text: string };

/** Sections longer than this are split at paragraph boundaries, so one passage stays readable. */
const MAX_CHUNK_CHARS = 1200;

/**
 * Splits a page body into one chunk per heading (`#`, `##`, `###`); text before the first heading
 * goes under the page title. The title itself travels with every chunk at indexing time, so a
 * section like "Multa" is still found by the page's subject ("fidelidade").
 */
export function chunkPage(title: string, body: string): Chunk[] {
  const sections: { heading: string; lines: string[] }[] = [{ heading: title, lines: [] }];
  for (const line of body.split("\n")) {
    const h = /^#{1,3}\s+(.+?)\s*#*\s*$/.exec(line);
    if (h?.[1]) sections.push({ heading: stripMarkdown(h[1]), lines: [] });
    else sections.at(-1)?.lines.push(line);
  }
  const chunks: Chunk[] = [];
  for (const s of sections) {
    const text = s.lines.join("\n").trim();
    if (!text) continue;
    for (const part of splitLong(text)) chunks.push({ ord: chunks.length, heading: s.heading, text: part });
  }
  return chunks;
}

function splitLong(text: string): string[] {
  if (text.length <= MAX_CHUNK_CHARS) return [text];
  const parts: string[] = [];
  let current = "";
  for (const para of text.split(/\n\s*\n/)) {
    if (current && current.length + para.length + 2 > MAX_CHUNK_CHARS) {
      parts.push(current);
      current = para;
    } else current = current ? `${current}\n\n${para}` : para;
  }
  if (current) parts.push(current);
  return parts;
}

/** Markdown emphasis and links out, list markers kept as plain dashes: what a WhatsApp reader sees. */
export function stripMarkdown(text: string): string {
  return text
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/\*\*([^*]+)\*\*/g, "$1")
    .replace(/__([^_]+)__/g, "$1")
    .replace(/(^|\W)[*_]([^*_\n]+)[*_](?=\W|$)/g, "$1$2")
    .replace(/`([^`]+)`/g, "$1")
    .replace(/^\s*[*+]\s+/gm, "- ");
}
