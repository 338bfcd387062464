/**
 * Real processes for gateway tests: model workers (`python -m workers.model`, scripted or synthetic
 * backends) on ephemeral ports, with their Prometheus metrics, and gateways from `build()` routing to them,
 * with the compact AsyncResource.bind installed as the gateway's entry point does.
 */
import { defaultConfig, poolConfig } from "../src/config/config.js";
import type { GatewayConfig, PoolConfig } from "../src/config/config.js";
import { installCompactBind } from "../src/http/async-bind.js";
import { build } from "../src/server.js";
import type { Gateway } from "../src/server.js";
import { freePort, PY, startProcess, waitFor } from "./harness.js";
import type { Proc } from "./harness.js";

export const MODEL_SERVICE = "agentos.model.v1.ModelService";

/** A running model worker. */
export interface ModelWorker {
  port: number;
  metricsPort: number;
  proc: Proc;
  address: string;
  /** The value of a metric line, e.g. `agentos_model_generations_total{outcome="cancelled"}` (0 when absent). */
  metric(line: string): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a model worker and waits until its health says SERVING. `port` reuses a port (restart). */
export async function startModelWorker(opts: { backend?: "scripted" | "synthetic"; args?: string[]; port?: number; metricsPort?: number } = {}): Promise<ModelWorker> {
  const port = opts.port ?? (await freePort());
  const metricsPort = opts.metricsPort ?? (await freePort());
  const proc = startProcess(PY, [
    "-m", "workers.model",
    "--backend", opts.backend ?? "scripted",
    "--host", "127.0.0.1",
    "--port", String(port),
    "--metrics-port", String(metricsPort),
    ...(opts.args ?? []),
  ]);
  // The health wait ends early when the worker exits (a port taken meanwhile, a bad flag).
  const ready = startProcess(PY, ["scripts/wait_grpc_health.py", `127.0.0.1:${port}`, "--timeout", "60"]);
  const code = await Promise.race([ready.exited, proc.exited.then(() => "worker exited")]);
  if (code !== 0) {
    await Promise.all([proc.stop("SIGKILL"), ready.stop("SIGKILL")]);
    throw new Error(`model worker did not become healthy:\n${proc.output()}\n${ready.output()}`);
  }
  return {
    port,
    metricsPort,
    proc,
    address: `127.0.0.1:${port}`,
    async metric(line) {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      for (const l of text.split("\n")) {
        if (l.startsWith(line + " ")) return Number(l.substring(line.length + 1));
      }
      return 0;
    },
    stop: (signal = "SIGTERM") => proc.stop(signal),
  };
}

/** A pool with short health-check and ejection times, suited to tests. */
export function testPool(service: string, addresses: string[], over: Partial<PoolConfig> = {}): PoolConfig {
  return poolConfig(service, addresses, {
    healthCheck: { intervalMs: 200, timeoutMs: 1000, service: "" },
    ejection: { consecutiveFailures: 3, baseMs: 500, maxMs: 5000 },
    retry: { maxAttempts: 2, budgetPercent: 20, minPerSecond: 10 },
    maxConcurrent: 1000,
    keepAliveIntervalMs: 10_000,
    ...over,
  });
}

/** Builds a gateway on an ephemeral port of 127.0.0.1 and waits until it is ready. */
export async function startGateway(pools: PoolConfig[], over: Partial<GatewayConfig> = {}): Promise<Gateway> {
  installCompactBind();
  const gateway = await build({ config: { ...defaultConfig(), host: "127.0.0.1", port: 0, pools, ...over } });
  await gateway.waitReady(30_000);
  return gateway;
}

/** Waits until a metric of a worker reaches at least `value`. */
export async function waitForMetric(worker: ModelWorker, line: string, value: number, timeoutMs = 10_000): Promise<void> {
  let last = 0;
  await waitFor(async () => (last = await worker.metric(line)) >= value, `${line} >= ${value} (last ${last})`, timeoutMs, 50);
}

export { freePort, waitFor };
