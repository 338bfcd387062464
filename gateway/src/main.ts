/**
 * Starts the gateway process: reads flags and environment, builds the server, and drains on SIGTERM or
 * SIGINT (readiness turns 503, listeners close, open calls get the grace period).
 *
 *   node --import tsx gateway/src/main.ts [--port 8080] [--config gateway/config/local.yaml] [--grace-ms 10000] [--workers N]
 *
 * `--workers N` (or AGENTOS_GATEWAY_WORKERS) runs N gateway processes sharing the port (node:cluster):
 * Node runs JavaScript on one core, so N = the number of cores multiplies throughput. Each process has
 * its own pools and health checks; /metrics and /readyz answer for the process that takes the request.
 *
 * Environment: AGENTOS_GATEWAY_CONFIG (config file), and the overrides listed in config/config.ts.
 */
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config/config.js";
import { installCompactBind } from "./http/async-bind.js";
import { createRestHandler } from "./rest/index.js";
import { build } from "./server.js";

const DEFAULT_CONFIG = resolve(fileURLToPath(import.meta.url), "../../config/local.yaml");

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      config: { type: "string" },
      "grace-ms": { type: "string", default: "10000" },
      workers: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("usage: node --import tsx gateway/src/main.ts [--port N] [--host H] [--config FILE] [--grace-ms N]");
    return 0;
  }
  const file = values.config ?? process.env.AGENTOS_GATEWAY_CONFIG ?? DEFAULT_CONFIG;
  const config = loadConfig(file, process.env);
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port: ${values.port} is not a port`);
    config.port = port;
  }
  if (values.host !== undefined) config.host = values.host;
  const graceMs = Number(values["grace-ms"]);
  const workersFlag = values.workers ?? process.env.AGENTOS_GATEWAY_WORKERS ?? "1";
  const workers = workersFlag === "auto" ? availableParallelism() : Number(workersFlag);
  if (!Number.isInteger(workers) || workers < 1) throw new ConfigError(`--workers: ${workersFlag} is not a positive number or "auto"`);
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers, graceMs);

  // Before any HTTP/2 session exists: each upstream request binds an AsyncResource (see async-bind.ts).
  if (!installCompactBind()) console.log("gateway: AsyncResource.prototype.bind left as it is (already replaced, or not needed on this Node)");

  const gateway = await build({
    config,
    processMetrics: true,
    // REST/JSON for curl (google.api.http routes, SSE/NDJSON streams) and /openapi.json.
    httpHandlers: (g) => [createRestHandler({ services: g.services, transport: g.transportFor("rest") })],
  });
  const scheme = config.tls ? "https" : "http";
  console.log(`gateway listening on ${scheme}://${config.host}:${gateway.port} (config ${file})`);
  for (const p of gateway.pools) console.log(`  ${p.service} -> ${p.cfg.addresses.join(", ")}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining for up to ${graceMs} ms`);
    gateway.close(graceMs).then(
      () => process.exit(0),
      (e: unknown) => {
        console.error("error while draining:", e);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  return -1;
}

/** The cluster primary: starts the workers, restarts none (a dead worker ends the gateway), forwards SIGTERM. */
function runPrimary(workers: number, graceMs: number): number {
  console.log(`gateway: starting ${workers} worker processes`);
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    setTimeout(() => process.exit(1), graceMs + 2000).unref();
  };
  cluster.on("exit", (w, code) => {
    if (!stopping) {
      console.error(`gateway worker ${w.process.pid} exited with ${code}; stopping`);
      stop("SIGTERM");
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
  });
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGTERM"));
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    console.error(e instanceof ConfigError ? `config error: ${e.message}` : e);
    process.exit(2);
  },
);
