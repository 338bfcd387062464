// Starts the baseline gateway: node build/.../baseline-gateway.mjs --port P --upstream URL [--workers N]
// `--workers N` runs N processes sharing the port (node:cluster), like the mesh gateway's flag.
import cluster from "node:cluster";
import { parseArgs } from "node:util";
import { build } from "./server.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8081" },
    upstream: { type: "string" },
    route: { type: "string", multiple: true, default: [] },
    workers: { type: "string", default: "1" },
  },
});
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) {
  console.error(`--workers wants a positive number, got ${values.workers}`);
  process.exit(2);
}
if (!values.upstream) {
  console.error("usage: main.ts --port P --upstream http://127.0.0.1:PORT [--route /prefix=http://127.0.0.1:PORT]...");
  process.exit(2);
}
const routes: Record<string, string> = {};
for (const r of values.route ?? []) {
  const eq = r.indexOf("=");
  if (eq <= 0) {
    console.error(`--route wants PREFIX=URL, got ${r}`);
    process.exit(2);
  }
  routes[r.slice(0, eq)] = r.slice(eq + 1);
}
if (workers > 1 && cluster.isPrimary) {
  // The primary only forks and forwards signals; the children listen (the primary shares the port).
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  const stopAll = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
  };
  cluster.on("exit", () => {
    if (!stopping) stopAll();
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
  });
  process.on("SIGTERM", stopAll);
  process.on("SIGINT", stopAll);
  let listening = 0;
  cluster.on("listening", (_w, address) => {
    if (++listening === workers) console.log(`baseline gateway listening on 127.0.0.1:${address.port} (${workers} processes) -> ${values.upstream}`);
  });
} else {
  await serve();
}

async function serve(): Promise<void> {
  const gw = await build({ upstream: values.upstream!, routes }, Number(values.port));
  if (cluster.isPrimary) console.log(`baseline gateway listening on 127.0.0.1:${gw.port} -> ${values.upstream}`);
  const stop = () => void gw.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
