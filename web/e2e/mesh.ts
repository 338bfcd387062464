import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, repoRoot, run, startProcess, waitUntil, type Proc } from "./processes.js";

const python = join(repoRoot, ".venv/bin/python");

/** A gRPC worker process on an ephemeral port. */
export interface Worker {
  readonly address: string;
  readonly proc: Proc;
}

/** The model worker, with the port of its own Prometheus metrics. */
export interface ModelWorker extends Worker {
  readonly metricsUrl: string;
}

/** Waits until the worker's grpc.health.v1 says SERVING (the same check `make up` uses). */
async function waitHealthy(worker: Worker): Promise<void> {
  await waitUntil(`${worker.proc.name} to be alive`, async () => true, worker.proc, 1000);
  await run(`${worker.proc.name}-health`, python, ["scripts/wait_grpc_health.py", worker.address, "--timeout", "300"]).catch((err: unknown) => {
    throw new Error(`${worker.proc.name} did not become healthy: ${String(err)}\n${worker.proc.tail()}`);
  });
}

/**
 * Starts the model worker with the scripted backend, which replays `script` (the JSON format of
 * workers/model/backends/scripted.py: responses chosen by `match`, with a per-token delay) through
 * the real gRPC path.
 */
export async function startScriptedModel(name: string, script: unknown): Promise<ModelWorker> {
  const dir = mkdtempSync(join(tmpdir(), "agentos-web-script-"));
  const file = join(dir, "script.json");
  writeFileSync(file, JSON.stringify(script));
  const [port, metricsPort] = [await freePort(), await freePort()];
  const proc = startProcess(name, python, [
    "-m", "workers.model",
    "--port", String(port),
    "--backend", "scripted",
    "--script", file,
    "--metrics-port", String(metricsPort),
  ]);
  proc.child.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const worker = { address: `127.0.0.1:${port}`, proc, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
  await waitHealthy(worker);
  return worker;
}

/** Starts the embedding worker with the real MiniLM model. */
export async function startEmbedding(name: string): Promise<Worker> {
  const port = await freePort();
  const proc = startProcess(name, python, ["-m", "workers.embedding", "--port", String(port)]);
  const worker = { address: `127.0.0.1:${port}`, proc };
  await waitHealthy(worker);
  return worker;
}

/** A running gateway process. */
export interface Gateway {
  readonly url: string;
  readonly proc: Proc;
}

/** What a test gateway routes and serves. */
export interface GatewayOptions {
  /** host:port of the model worker. */
  readonly model: string;
  /** host:port of the embedding worker. */
  readonly embedding: string;
  /** Folder served at "/"; none when omitted. */
  readonly staticDir?: string;
  /** Origins allowed by CORS; CORS stays off (the default) when omitted. */
  readonly corsOrigins?: readonly string[];
  /** Wait for /readyz (all pools healthy) rather than /healthz (process up). */
  readonly waitReady?: boolean;
}

/** Starts the gateway as `make up` does, on an ephemeral port, routed to the given workers. */
export async function startGateway(name: string, options: GatewayOptions): Promise<Gateway> {
  const port = await freePort();
  const env: Record<string, string> = {
    AGENTOS_POOL_MODELSERVICE: options.model,
    AGENTOS_POOL_EMBEDDINGSERVICE: options.embedding,
    AGENTOS_GATEWAY_STATIC_DIR: options.staticDir ?? "",
  };
  if (options.corsOrigins) env.AGENTOS_GATEWAY_CORS_ORIGINS = options.corsOrigins.join(",");
  const proc = startProcess(name, "node", ["--import", "tsx", "gateway/src/main.ts", "--port", String(port), "--host", "127.0.0.1"], env);
  const url = `http://127.0.0.1:${port}`;
  const probe = options.waitReady === false ? "/healthz" : "/readyz";
  await waitUntil(`${name} ${probe}`, async () => (await fetch(url + probe)).ok, proc, 120_000);
  return { url, proc };
}

/** Reads one sample of a Prometheus text exposition, summed over series matching `labels`. */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = match[2] ?? "";
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += Number(match[3]);
  }
  return sum;
}

/** Builds the page into a fresh folder with the project's Vite config, so tests never race on web/dist. */
export async function buildWeb(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "agentos-web-dist-"));
  await run(`web-build-${outDir.slice(-6)}`, join(repoRoot, "node_modules/.bin/vite"), ["build", "--config", "web/vite.config.ts", "--outDir", outDir, "--emptyOutDir"]);
  return outDir;
}
