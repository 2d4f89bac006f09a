/**
 * The minimal reference for the ingest benchmark: an express handler that verifies the signature
 * over the raw body and does one INSERT per message (autocommit, synchronous_commit on). Our
 * overhead is reported as a ratio to this, measured side by side in the same run.
 */
import express from "express";
import pg from "pg";
import { verifySignature } from "../src/webhook/verifySignature.ts";

const { REF_DATABASE_URL = "", REF_PORT = "0", REF_SECRET = "" } = process.env;
const pool = new pg.Pool({ connectionString: REF_DATABASE_URL, max: 10 });
await pool.query("create table if not exists ref_inbound (wamid text primary key, body jsonb not null)");
const app = express();
app.post("/webhook", express.raw({ type: () => true, limit: "3mb" }), async (req, res) => {
  const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  if (!verifySignature(raw, req.get("x-hub-signature-256"), REF_SECRET).ok) {
    res.sendStatus(401);
    return;
  }
  const json = JSON.parse(raw.toString("utf8"));
  try {
    for (const entry of json.entry ?? []) {
      for (const change of entry.changes ?? []) {
        for (const m of change.value?.messages ?? []) {
          await pool.query("insert into ref_inbound (wamid, body) values ($1, $2) on conflict do nothing", [
            m.id,
            m,
          ]);
        }
      }
    }
    res.sendStatus(200);
  } catch {
    res.sendStatus(503);
  }
});
const server = app.listen(Number(REF_PORT), "127.0.0.1", () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 }));
});
process.on("SIGTERM", () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
