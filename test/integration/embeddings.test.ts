import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import pg from "pg";
import { migrate, readMigrations } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/ops/createLogger.ts";
import { createEmbedder } from "../../src/tools/rag/createEmbedder.ts";
import { createKnowledgeBase } from "../../src/tools/rag/createKnowledgeBase.ts";
import { hasTable, indexKnowledge } from "../../src/tools/rag/indexKnowledge.ts";
import { loadKnowledge } from "../../src/tools/rag/loadKnowledge.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/testDatabase.ts";

// The embeddings client against a fake OpenAI-compatible /embeddings (answers like OpenAI: data in
// any order with an index, usage, OpenAI's error body), and the knowledge base on a server without
// pgvector (this machine's and the embedded PostgreSQL): keyword mode, no vector written.
let server: Server;
let baseUrl: string;
const requests: { model: string; input: string[] }[] = [];
let failNext = 0;

before(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => {
      raw += c.toString();
    });
    req.on("end", () => {
      const body: unknown = JSON.parse(raw);
      const input =
        body && typeof body === "object" && "input" in body && Array.isArray(body.input)
          ? body.input.map(String)
          : [];
      const model = body && typeof body === "object" && "model" in body ? String(body.model) : "";
      requests.push({ model, input });
      res.setHeader("content-type", "application/json");
      if (failNext > 0) {
        failNext--;
        res.statusCode = 500;
        res.end(JSON.stringify({ error: { message: "The server had an error", type: "server_error" } }));
        return;
      }
      // Reversed order on purpose: OpenAI's `index` says which input each vector belongs to.
      const data = input
        .map((text: string, index: number) => ({
          object: "embedding",
          index,
          embedding: [text.length, index, 1],
        }))
        .reverse();
      res.end(JSON.stringify({ object: "list", data, model, usage: { prompt_tokens: 3, total_tokens: 3 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

test("the embedder returns one vector per text, in input order, and retries a 500 once", async () => {
  const embed = createEmbedder({
    baseUrl,
    apiKey: "sk-test",
    model: "text-embedding-3-small",
    timeoutMs: 5000,
  });
  failNext = 1;
  const vectors = await embed(["um", "dois três"]);
  assert.deepEqual(vectors, [
    [2, 0, 1],
    [9, 1, 1],
  ]);
  assert.deepEqual(requests.at(-1), { model: "text-embedding-3-small", input: ["um", "dois três"] });
  assert.deepEqual(await embed([]), [], "nothing to embed: no request");
});

let db: TestDatabase;
test("without pgvector the knowledge base indexes and searches by keywords, with embeddings configured", async () => {
  db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await migrate(
      pool,
      await readMigrations(new URL("../../migrations", import.meta.url).pathname),
      createLogger("warn"),
    );
    const embed = createEmbedder({ baseUrl, model: "m", timeoutMs: 5000 });
    const knowledge = await loadKnowledge(new URL("../../knowledge", import.meta.url).pathname);
    const hasVectors = await hasTable(pool, "knowledge_vectors");
    const before = requests.length;
    const indexed = await indexKnowledge(pool, knowledge, { embed });
    assert.equal(indexed.vectors, hasVectors);
    const kb = createKnowledgeBase({ pool, embed });
    const found = await kb.search("tem fidelidade?");
    assert.equal(found.mode, hasVectors ? "hybrid" : "keyword");
    assert.equal(found.passages[0]?.pageId, "fidelidade-e-cancelamento");
    if (!hasVectors) assert.equal(requests.length, before, "no embeddings asked for without pgvector");
  } finally {
    await pool.end();
    await db.drop();
  }
});
