// Preload (`node --import ./test/helpers/blockNetwork.ts`) that makes every outbound connection fail
// and records the attempt, one JSON line per attempt in $BLOCK_NETWORK_LOG. Worker threads started
// from a file inherit the parent's execArgv, so tesseract.js's workers load it too (`eval` workers do
// not): each record carries its threadId.
import dns from "node:dns";
import { appendFileSync } from "node:fs";
import net from "node:net";
import { threadId } from "node:worker_threads";

const log = process.env.BLOCK_NETWORK_LOG;
const record = (kind: string, target: unknown) => {
  if (log) appendFileSync(log, `${JSON.stringify({ kind, target: String(target), threadId })}\n`);
};
// A line per thread that loaded the blocker, so a test can see tesseract.js's workers have it.
record("loaded", "blockNetwork");
const blocked = () => new Error("outbound network blocked by test/helpers/blockNetwork.ts");

const connect = function (this: net.Socket, ...args: unknown[]) {
  // net.connect passes its normalised [options, callback]; socket.connect(port, host) or (options).
  const [first, second] = Array.isArray(args[0]) ? args[0] : args;
  const target =
    typeof first === "object" && first !== null
      ? `${"host" in first ? String(first.host) : "path" in first ? String(first.path) : ""}:${"port" in first ? String(first.port) : ""}`
      : `${String(second ?? "")}:${String(first)}`;
  record("connect", target);
  process.nextTick(() => this.destroy(blocked()));
  return this;
};
Object.defineProperty(net.Socket.prototype, "connect", {
  value: connect,
  writable: true,
  configurable: true,
});
Object.defineProperty(globalThis, "fetch", {
  value: async (input: unknown) => {
    record("fetch", input instanceof Request ? input.url : input);
    throw new TypeError("fetch failed", { cause: blocked() });
  },
  writable: true,
  configurable: true,
});
const lookup = (hostname: string, ...rest: unknown[]) => {
  record("dns", hostname);
  const callback = rest.at(-1);
  if (typeof callback === "function") process.nextTick(() => callback(blocked()));
};
Object.defineProperty(dns, "lookup", { value: lookup, writable: true, configurable: true });
Object.defineProperty(dns.promises, "lookup", {
  value: async (hostname: string) => {
    record("dns", hostname);
    throw blocked();
  },
  writable: true,
  configurable: true,
});
