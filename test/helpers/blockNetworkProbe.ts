// Worker thread of blockNetworkChild.ts: tries a connection and reports how it ended.
import net from "node:net";
import { parentPort } from "node:worker_threads";

const socket = net.connect(80, "probe.invalid");
socket.on("error", (e) => parentPort?.postMessage(e.message));
socket.on("connect", () => parentPort?.postMessage("connected"));
