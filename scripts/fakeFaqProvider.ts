// An extractive stand-in for an LLM provider, to record `npm run eval:faq -- … --llm record` on a
// machine without provider access. `node scripts/fakeFaqProvider.ts [--invent-for TEXT] [-- CMD…]`
// starts an OpenAI-compatible server on 127.0.0.1 that answers `answer_faq` tool calls by copying
// the passages' sentences that share the most word stems with the question (no model, no
// knowledge of its own), and, for the one question containing TEXT (default "primeiro desconto"),
// adds a sentence with a number found in no passage, so the recording exercises the grounding
// check. With a command, runs it with LLM_BASE_URL/LLM_API_KEY/LLM_MODEL pointing here and exits
// with its status; without one, prints the base URL and serves until interrupted.
//
//   node scripts/fakeFaqProvider.ts -- npm run eval:faq -- ../shared/fixtures/knowledge-questions.yaml \
//     --knowledge ../shared/fixtures/knowledge --llm record
import { spawn } from "node:child_process";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { z } from "zod";
import { factsOf } from "../src/tools/rag/checkGrounding.ts";
import { stripMarkdown } from "../src/tools/rag/chunkPage.ts";
import { foldText } from "../src/tools/rag/foldText.ts";
import { tableCells } from "../src/tools/rag/trimPassage.ts";

export const FAKE_MODEL = "fake-extractive";

const requestSchema = z.object({
  messages: z.array(z.object({ role: z.string(), content: z.string().nullable().optional() })),
  tools: z.array(z.object({ function: z.object({ name: z.string() }) })).optional(),
});
/** The user message answerQuestion sends: the passages and the question, as JSON data. */
const faqDataSchema = z.object({
  trechos: z.array(z.object({ id: z.string(), titulo: z.string(), secao: z.string(), texto: z.string() })),
  pergunta_do_cliente: z.string(),
});
type FaqData = z.infer<typeof faqDataSchema>;
export type FaqToolArgs = { found: boolean; answer: string; source_ids: string[] };

// Folded Portuguese function words and question words: sharing "qual" or "para" with a passage
// says nothing about answering it.
const STOP_WORDS = new Set(
  (
    "a o as os ao aos de da do das dos e em no na nos nas num numa um uma uns umas para pra por pelo pela " +
    "pelos pelas com que qual quais quanto quanta quantos quantas como quando onde porque meu minha meus " +
    "minhas seu sua seus suas eu voce voces ele ela eles elas tem ter ser sao esta estao isso isto este " +
    "esta esse essa se mais ou ja nao sim eu me mim lhe nos vou vai ha sobre entre ate"
  ).split(" "),
);

/**
 * A crude Portuguese stem: the folded word without a plural "s", cut to 5 letters, so
 * "documentos"/"documento" and "assinar"/"assinatura" meet. Numbers stay whole.
 */
function stemsOf(text: string): Set<string> {
  const stems = new Set<string>();
  for (const w of foldText(text).match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (STOP_WORDS.has(w) || (w.length < 3 && !/^\d+$/.test(w))) continue;
    if (/^\d+$/.test(w)) {
      stems.add(w);
      continue;
    }
    const singular = w.length > 4 && w.endsWith("s") ? w.slice(0, -1) : w;
    stems.add(singular.slice(0, 5));
  }
  return stems;
}

type Unit = { text: string; passage: number; position: number };

/**
 * The extractable pieces of a passage: sentences; a list (with the line that introduces it) as
 * one piece, since its items answer together; a table cell with its row and column names
 * ("CEMIG, desconto residencial: 20%"), so one figure can be quoted without its neighbours.
 */
function unitsOf(text: string, passage: number): Unit[] {
  const units: string[] = [];
  let header: string[] | undefined;
  let list: string[] = [];
  let intro: string | undefined;
  const flushList = () => {
    if (list.length > 0) units.push([...(intro ? [intro] : []), ...list].join("\n"));
    else if (intro) units.push(intro);
    list = [];
    intro = undefined;
  };
  for (const raw of stripMarkdown(text).split("\n")) {
    const line = raw.trim();
    const cells = tableCells(line);
    if (cells) {
      flushList();
      if (cells.length === 0) continue;
      if (!header) {
        header = cells;
        continue;
      }
      const [row, ...rest] = cells;
      rest.forEach((cell, i) => {
        units.push(`${row}, ${foldCase(header?.[i + 1] ?? "")}: ${cell}`);
      });
      continue;
    }
    header = undefined;
    if (!line) {
      if (list.length > 0) flushList();
      continue;
    }
    if (/^(?:-|\d+\.)\s+/.test(line)) {
      list.push(line);
      continue;
    }
    flushList();
    if (line.endsWith(":")) {
      intro = line;
      continue;
    }
    units.push(
      ...(line.match(/[^.!?]+(?:[.!?]+(?=\s|$)|$)/g) ?? [line]).map((s) => s.trim()).filter(Boolean),
    );
  }
  flushList();
  return units.map((t, position) => ({ text: t, passage, position }));
}

const foldCase = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/**
 * The fake model's answer: the pieces sharing the most question stems (a stem in the piece counts
 * twice, one only in the passage's title or section once), at most 3, in document order.
 * found=false when no passage shares a content word with the question.
 */
export function extractiveAnswer(data: FaqData): FaqToolArgs {
  const question = stemsOf(data.pergunta_do_cliente);
  const notFound = { found: false, answer: "", source_ids: [] };
  const scored = data.trechos.flatMap((t, passage) => {
    const context = stemsOf(`${t.titulo} ${t.secao}`);
    return unitsOf(t.texto, passage).map((u) => {
      const own = stemsOf(u.text);
      let score = 0;
      for (const s of question) score += own.has(s) ? 2 : context.has(s) ? 1 : 0;
      return { ...u, score };
    });
  });
  const ranked = scored
    .filter((u) => u.score >= 2)
    .sort((a, b) => b.score - a.score || a.passage - b.passage || a.position - b.position);
  const best = ranked[0];
  if (!best) return notFound;
  // The best piece, the sentence right after it when it is on the subject too (an answer often
  // continues there), then others only when nearly as good: an answer, not a summary.
  const next = ranked.find((u) => u.passage === best.passage && u.position === best.position + 1);
  const chosen = [best, ...(next ? [next] : [])];
  for (const u of ranked)
    if (chosen.length < 3 && !chosen.includes(u) && u.score >= Math.max(2, best.score - 1)) chosen.push(u);
  chosen.sort((a, b) => a.passage - b.passage || a.position - b.position);
  const ids = [...new Set(chosen.map((u) => data.trechos[u.passage]?.id ?? ""))].filter(Boolean);
  return { found: true, answer: chosen.map((u) => u.text).join("\n"), source_ids: ids };
}

/** A plausible hallucination: a duration found in none of the passages. */
export function inventFigure(data: FaqData, answer: FaqToolArgs): FaqToolArgs {
  const known = new Set(data.trechos.flatMap((t) => [...factsOf(`${t.titulo} ${t.secao} ${t.texto}`)]));
  const days = [45, 47, 52, 58, 63].find((n) => !known.has(String(n))) ?? 71;
  const invented = `Em média, isso leva ${days} dias.`;
  return { ...answer, found: true, answer: answer.answer ? `${answer.answer}\n${invented}` : invented };
}

/** The whole request → the tool call the fake answers with, or why the request is not one it serves. */
export function fakeCompletion(
  body: unknown,
  inventFor: string,
): { ok: true; args: FaqToolArgs; promptChars: number } | { ok: false; error: string } {
  const request = requestSchema.safeParse(body);
  if (!request.success) return { ok: false, error: "not a chat completions request" };
  if (!request.data.tools?.some((t) => t.function.name === "answer_faq"))
    return { ok: false, error: "this fake only answers requests offering the answer_faq tool" };
  const user = request.data.messages.findLast((m) => m.role === "user")?.content ?? "";
  let json: unknown;
  try {
    json = JSON.parse(user);
  } catch {
    return { ok: false, error: "the user message is not the FAQ's JSON data" };
  }
  const data = faqDataSchema.safeParse(json);
  if (!data.success) return { ok: false, error: "the user message is not the FAQ's JSON data" };
  let args = extractiveAnswer(data.data);
  if (inventFor && foldText(data.data.pergunta_do_cliente).includes(foldText(inventFor)))
    args = inventFigure(data.data, args);
  const promptChars = request.data.messages.reduce((n, m) => n + (m.content?.length ?? 0), 0);
  return { ok: true, args, promptChars };
}

/** The fake on 127.0.0.1 (any free port unless given): base URL and a close function. */
export async function startFakeFaqProvider(options: { inventFor: string; port?: number }) {
  let counter = 0;
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const error = (message: string) => ({
    error: { message, type: "invalid_request_error", param: null, code: null },
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
        send(res, 404, error("Not found"));
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        send(res, 400, error("We could not parse the JSON body of your request."));
        return;
      }
      const result = fakeCompletion(body, options.inventFor);
      if (!result.ok) {
        send(res, 400, error(result.error));
        return;
      }
      counter++;
      const args = JSON.stringify(result.args);
      // Token counts are estimated (about 4 characters a token): there is no tokenizer here.
      const usage = {
        prompt_tokens: Math.ceil(result.promptChars / 4),
        completion_tokens: Math.ceil(args.length / 4),
      };
      send(res, 200, {
        id: `chatcmpl-fake-${counter}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: FAKE_MODEL,
        choices: [
          {
            index: 0,
            finish_reason: "tool_calls",
            message: {
              role: "assistant",
              content: null,
              tool_calls: [
                {
                  id: `call_fake_${counter}`,
                  type: "function",
                  function: { name: "answer_faq", arguments: args },
                },
              ],
            },
          },
        ],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const address = server.address();
  const port = address && typeof address === "object" ? (address satisfies AddressInfo).port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "invent-for": { type: "string", default: "primeiro desconto" },
      port: { type: "string" },
    },
  });
  const fake = await startFakeFaqProvider({
    inventFor: values["invent-for"],
    ...(values.port ? { port: Number(values.port) } : {}),
  });
  const [command, ...args] = positionals;
  if (!command) {
    console.log(`fake FAQ provider (model ${FAKE_MODEL}) at ${fake.baseUrl}; Ctrl-C to stop`);
    process.on("SIGINT", () => void fake.close().then(() => process.exit(0)));
  } else {
    // spawn, not spawnSync: this process must keep answering while the command runs.
    const child = spawn(command, args, {
      stdio: "inherit",
      env: { ...process.env, LLM_BASE_URL: fake.baseUrl, LLM_API_KEY: "fake", LLM_MODEL: FAKE_MODEL },
    });
    const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? 1)));
    await fake.close();
    process.exit(code);
  }
}
