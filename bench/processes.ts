import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { round } from "./stats.ts";

// Processes the benchmarks start and watch, shared by bench/run.ts and bench/llmBurst.ts.

/** Resident memory of a process, in MB (0 when it is gone). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return round(Number(m?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

export type GraphProcess = {
  baseUrl: string;
  pid: number | undefined;
  stats: (from: number) => Promise<{ count: number; at: number[] }>;
  close: () => void;
};

/** The fake Graph API in its own process (bench/fakeGraphProcess.ts), with its acceptance times. */
export async function startGraphProcess(token: string): Promise<GraphProcess> {
  const child = spawn(process.execPath, [new URL("./fakeGraphProcess.ts", import.meta.url).pathname], {
    env: { ...process.env, FAKE_TOKEN: token },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const baseUrl = await new Promise<string>((resolve) =>
    child.once("message", (m: { baseUrl: string }) => resolve(m.baseUrl)),
  );
  return {
    baseUrl,
    pid: child.pid,
    stats: (from) =>
      new Promise((resolve) => {
        child.once("message", (m: { count: number; at: number[] }) => resolve(m));
        child.send({ type: "stats", from });
      }),
    close: () => child.disconnect(),
  };
}
