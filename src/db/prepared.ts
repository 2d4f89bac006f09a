import { createHash } from "node:crypto";
import type { QueryConfig } from "pg";

const names = new Map<string, string>();

/**
 * Names a hot-path statement, so each connection parses and plans it once (node-postgres turns a
 * named query into a server-side prepared statement). Needs a session, not a transaction-mode
 * pooler — which the queue's LISTEN/NOTIFY and advisory locks need anyway.
 */
export function prepared(text: string, values: unknown[]): QueryConfig {
  let name = names.get(text);
  if (!name) {
    name = `q_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`;
    names.set(text, name);
  }
  return { name, text, values };
}
