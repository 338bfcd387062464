/**
 * A gateway routing ModelService to the given upstream, for load tests of the gateway alone.
 *
 *   node --import tsx gateway/test/perf/gateway-for-upstream.ts GATEWAY_PORT UPSTREAM_ADDRESS
 */
import { defaultConfig } from "../../src/config/config.js";
import { build } from "../../src/server.js";
import { MODEL_SERVICE, testPool } from "../mesh.js";

const [port, upstream] = process.argv.slice(2);
const gateway = await build({
  config: { ...defaultConfig(), host: "127.0.0.1", port: Number(port), pools: [testPool(MODEL_SERVICE, [upstream!], { healthCheck: { intervalMs: 2000, timeoutMs: 1000, service: "" } })] },
});
await gateway.waitReady(10_000);
console.log(`PORT ${gateway.port}`);
process.on("SIGTERM", () => void gateway.close(100).then(() => process.exit(0)));
