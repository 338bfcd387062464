// Starts the baseline gateway: node --import tsx bench/baseline/gateway/main.ts --port P --upstream URL
import { parseArgs } from "node:util";
import { build } from "./server.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8081" },
    upstream: { type: "string" },
    route: { type: "string", multiple: true, default: [] },
  },
});
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
const gw = await build({ upstream: values.upstream, routes }, Number(values.port));
console.log(`baseline gateway listening on 127.0.0.1:${gw.port} -> ${values.upstream}`);
const stop = () => void gw.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
