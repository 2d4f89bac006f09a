/**
 * The fake Graph API in a process of its own for the benchmarks, so the load generator's event
 * loop cannot slow its answers down. Talks to the parent over IPC: sends { baseUrl } once, and
 * answers { type: "stats", from } with the acceptance times of sends from that index on.
 */
import { startFakeGraphApi } from "../test/helpers/fakeGraphApi.ts";

const graph = await startFakeGraphApi({ accessToken: process.env.FAKE_TOKEN, validate: false });
process.send?.({ type: "ready", baseUrl: graph.baseUrl });
process.on("message", (message: { type?: string; from?: number }) => {
  if (message.type === "stats") {
    process.send?.({
      type: "stats",
      count: graph.sent.length,
      at: graph.sent.slice(message.from ?? 0).map((s) => s.at),
    });
  }
});
process.on("disconnect", () => {
  void graph.close().then(() => process.exit(0));
});
