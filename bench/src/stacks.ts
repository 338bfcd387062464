/**
 * Starting the systems under test on loopback, each process on a free port:
 *
 * - mesh:     gateway (gateway/src/main.ts, bundled) → model worker (synthetic backend) and embedding worker
 * - baseline: baseline gateway (bench/baseline/gateway) → two FastAPI workers (model routes, embeddings)
 * - fixed:    a trivial native upstream (bench/go/cmd/fixed-upstream) behind a second gateway of each
 *             kind, to find each gateway's own ceiling
 *
 * Both stacks get the same processes: one gateway and one worker per service.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { startProcess, waitUntil, type Proc } from "./process.js";
import { grpcUnary } from "./clients.js";
import { ROOT, toolPath } from "./tools/paths.js";
import { buildGateways } from "../../gateway/build.js";

const PY = join(ROOT, ".venv/bin/python");
/** One BLAS thread for every worker, as the embedding worker's default `--threads 1` sets. */
const BLAS_ENV = { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
/**
 * Both gateways run as esbuild bundles on plain Node (gateway/build.ts): the same treatment for both,
 * and no TypeScript loader in the measured processes. Built once per benchmark process.
 */
let bundles: ReturnType<typeof buildGateways> | undefined;
const gatewayBundles = () => (bundles ??= buildGateways(join(ROOT, "build/bench/gateway")));
/**
 * Node flags of both gateways: source maps, and the old generation's first limit at 64 MB, as the
 * mesh gateway is run everywhere (README, `make up`). With V8's default first limit just above a
 * 14 MB live heap, answers of tens of KB (embeddings) set off dozens of mark-compacts a second in
 * some runs and not in others.
 */
const NODE_FLAGS = ["--enable-source-maps", "--initial-old-space-size=64"];

/** How the workers generate: tokens/s per stream (0 = as fast as read) and which encoder embeds. */
export interface WorkerSettings {
  syntheticRate: number;
  /** "synthetic": the model-free encoder on both sides; "real": all-MiniLM-L6-v2 on both sides. */
  embedding: "synthetic" | "real";
  /** Generations at once per model worker (both stacks). */
  maxConcurrency: number;
}

/** A running stack: where to send calls and which processes do the work. */
export interface Stack {
  name: string;
  /** host:port of the gateway. */
  gateway: string;
  /** host:port of the model and embedding workers (direct calls). */
  modelWorker: string;
  embeddingWorker: string;
  procs: { gateway: Proc; model: Proc; embedding: Proc };
  /**
   * The mesh's /metrics pages, whose call counters by gRPC status tell whether every call of a load run
   * succeeded (status-counts.ts); the baseline's errors are HTTP statuses, which the load tools read.
   */
  statusPages?: { gateway: string; model: string; embedding: string };
  stop(): Promise<void>;
}

async function healthy(target: string): Promise<boolean> {
  // grpc.health.v1.Health/Check with an empty request: answers SERVING (field 1 = 1) when ready.
  const reply = await grpcUnary(target, "/grpc.health.v1.Health/Check", new Uint8Array(5));
  return reply.length === 2 && reply[0] === 0x08 && reply[1] === 1;
}

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.ok;
}

async function stopAll(procs: Proc[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop()));
}

/** Writes the mesh gateway's pool configuration (YAML is a superset of JSON). */
function gatewayConfig(dir: string, name: string, model: string, embedding: string): string {
  const file = join(dir, `${name}.gateway.json`);
  const config = {
    listen: { host: "127.0.0.1", port: 0 },
    staticDir: "",
    pools: {
      "agentos.model.v1.ModelService": { addresses: [model] },
      "agentos.embedding.v1.EmbeddingService": { addresses: [embedding] },
      "agentos.document.v1.DocumentService": { addresses: ["127.0.0.1:1"], enabled: false },
    },
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/**
 * Starts the mesh gateway with `workers` processes (one by default, like the baseline's; with more, its
 * CPU and memory are read from the cluster's whole process tree).
 */
async function startMeshGateway(dir: string, name: string, model: string, embedding: string, workers = 1): Promise<{ proc: Proc; target: string }> {
  const port = await freePort();
  const config = gatewayConfig(dir, name, model, embedding);
  const { main } = await gatewayBundles();
  const proc = startProcess(`${name}-gateway`, "node", [...NODE_FLAGS, main, "--port", String(port), "--config", config, "--workers", String(workers)], join(dir, `${name}-gateway.log`));
  await waitUntil(proc, () => httpOk(`http://127.0.0.1:${port}/readyz`), 60_000);
  return { proc, target: `127.0.0.1:${port}` };
}

/** Starts the baseline gateway with `workers` processes (node:cluster, as the mesh gateway's `--workers`). */
async function startBaselineGateway(dir: string, name: string, model: string, embedding: string, workers = 1): Promise<{ proc: Proc; target: string }> {
  const port = await freePort();
  const { baseline } = await gatewayBundles();
  const args = [...NODE_FLAGS, baseline, "--port", String(port), "--upstream", `http://${model}`, "--route", `/v1/embeddings=http://${embedding}`, "--workers", String(workers)];
  const proc = startProcess(`${name}-gateway`, "node", args, join(dir, `${name}-gateway.log`));
  await waitUntil(proc, () => httpOk(`http://127.0.0.1:${port}/healthz`), 60_000);
  return { proc, target: `127.0.0.1:${port}` };
}

/** Starts one of the bare Node references (bench/reference/), ready once it answers a health check. */
async function startNodeReference(dir: string, name: "relay" | "tokens", args: string[]): Promise<{ proc: Proc; target: string }> {
  const port = await freePort();
  const bundle = (await gatewayBundles())[name];
  const proc = startProcess(`node-${name}`, "node", [...NODE_FLAGS, bundle, "--port", String(port), ...args], join(dir, `node-${name}.log`));
  const target = `127.0.0.1:${port}`;
  try {
    await waitUntil(proc, () => healthy(target), 30_000);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return { proc, target };
}

/**
 * Starts the bare Node token server (bench/reference/node-h2-tokens.ts) at `rate` tokens/s per stream:
 * what Node's HTTP/2 costs a gateway's client side for token streams.
 */
export function startNodeTokens(dir: string, rate: number): Promise<{ proc: Proc; target: string }> {
  return startNodeReference(dir, "tokens", ["--rate", String(rate)]);
}

/**
 * Waits for a stack's two workers, starts its gateway in front of them, and returns the stack; stops
 * everything it started if any step fails.
 */
async function assemble(
  name: string,
  m: { model: Proc; port: number },
  e: { embedding: Proc; port: number },
  ready: (port: number) => Promise<boolean>,
  startGateway: (model: string, embedding: string) => Promise<{ proc: Proc; target: string }>,
): Promise<Stack> {
  const procs: Proc[] = [m.model, e.embedding];
  try {
    await waitUntil(m.model, () => ready(m.port), 120_000);
    await waitUntil(e.embedding, () => ready(e.port), 300_000);
    const [modelWorker, embeddingWorker] = [`127.0.0.1:${m.port}`, `127.0.0.1:${e.port}`];
    const gw = await startGateway(modelWorker, embeddingWorker);
    procs.push(gw.proc);
    return {
      name,
      gateway: gw.target,
      modelWorker,
      embeddingWorker,
      procs: { gateway: gw.proc, model: m.model, embedding: e.embedding },
      stop: () => stopAll(procs),
    };
  } catch (err) {
    await stopAll(procs);
    throw err;
  }
}

/** Starts the mesh: the model worker (synthetic backend), an embedding worker, and the gateway. */
export async function startMesh(dir: string, w: WorkerSettings): Promise<Stack> {
  const [mp, ep, mmp, emp] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // Each worker serves /metrics (prometheus_client's thread, idle between scrapes, which come only
  // between load runs), as the baseline workers do on their own port.
  const common = ["--host", "127.0.0.1", "--log-level", "warning"];
  const model = startProcess("mesh-model", PY, ["-m", "workers.model", "--port", String(mp), "--metrics-port", String(mmp), "--backend", "synthetic", "--synthetic-rate", String(w.syntheticRate), "--max-concurrency", String(w.maxConcurrency), "--max-queue", "4096", ...common], join(dir, "mesh-model.log"), BLAS_ENV);
  const embedModule = w.embedding === "real" ? "workers.embedding" : "bench.mesh.synthetic_embedding";
  const embedding = startProcess("mesh-embedding", PY, ["-m", embedModule, "--port", String(ep), "--metrics-port", String(emp), ...common], join(dir, "mesh-embedding.log"), BLAS_ENV);
  const stack = await assemble("mesh", { model, port: mp }, { embedding, port: ep }, (port) => healthy(`127.0.0.1:${port}`), (m, e) =>
    startMeshGateway(dir, "mesh", m, e),
  );
  return {
    ...stack,
    statusPages: { gateway: `http://${stack.gateway}/metrics`, model: `http://127.0.0.1:${mmp}/metrics`, embedding: `http://127.0.0.1:${emp}/metrics` },
  };
}

/** Starts the baseline: two FastAPI workers (model routes, embeddings) and the plain HTTP gateway. */
export async function startBaseline(dir: string, w: WorkerSettings): Promise<Stack> {
  const [mp, ep] = [await freePort(), await freePort()];
  const args = (port: number) => ["-m", "bench.baseline.worker", "--port", String(port), "--synthetic-rate", String(w.syntheticRate), "--max-concurrency", String(w.maxConcurrency), "--max-queue", "4096", "--embedding", w.embedding];
  const model = startProcess("baseline-model", PY, args(mp), join(dir, "baseline-model.log"), BLAS_ENV);
  const embedding = startProcess("baseline-embedding", PY, args(ep), join(dir, "baseline-embedding.log"), BLAS_ENV);
  return assemble("baseline", { model, port: mp }, { embedding, port: ep }, (port) => httpOk(`http://127.0.0.1:${port}/health`), (m, e) =>
    startBaselineGateway(dir, "baseline", m, e),
  );
}

/** The gateway-alone set-up: each gateway in front of the same trivial native upstream. */
export interface FixedStacks {
  upstream: Proc;
  /** gRPC and HTTP/1.1 addresses of the native upstream itself. */
  grpc: string;
  http: string;
  mesh: { proc: Proc; target: string };
  baseline: { proc: Proc; target: string };
  /** The same two gateways with two processes each (`--workers 2`): the ceiling on both cores. */
  mesh2: { proc: Proc; target: string };
  baseline2: { proc: Proc; target: string };
  /** A bare Node `http2` relay (bench/reference/node-h2-relay.ts): Node's HTTP/2 with no gateway in it. */
  relay: { proc: Proc; target: string };
  stop(): Promise<void>;
}

/**
 * Starts the native upstream answering `grpcResponses` (method → message bytes) and `httpResponses`
 * (path → JSON bytes), and a mesh gateway and a baseline gateway in front of it, each once with one
 * process and once with two, and the bare Node relay.
 */
export async function startFixed(dir: string, grpcResponses: Record<string, Uint8Array>, httpResponses: Record<string, Uint8Array>): Promise<FixedStacks> {
  const [gp, hp] = [await freePort(), await freePort()];
  const args = ["-grpc-port", String(gp), "-http-port", String(hp)];
  for (const [i, [method, bytes]] of Object.entries(grpcResponses).entries()) {
    const f = join(dir, `fixed-grpc-${i}.bin`);
    writeFileSync(f, bytes);
    args.push("-grpc-response", `${method}=${f}`);
  }
  for (const [i, [path, bytes]] of Object.entries(httpResponses).entries()) {
    const f = join(dir, `fixed-http-${i}.json`);
    writeFileSync(f, bytes);
    args.push("-http-response", `${path}=${f}`);
  }
  const upstream = startProcess("fixed-upstream", toolPath("fixed-upstream"), args, join(dir, "fixed-upstream.log"));
  const procs: Proc[] = [upstream];
  try {
    await waitUntil(upstream, () => healthy(`127.0.0.1:${gp}`), 30_000);
    const target = `127.0.0.1:${gp}`;
    const mesh = await startMeshGateway(dir, "fixed-mesh", target, target);
    procs.push(mesh.proc);
    const baseline = await startBaselineGateway(dir, "fixed-baseline", `127.0.0.1:${hp}`, `127.0.0.1:${hp}`);
    procs.push(baseline.proc);
    const mesh2 = await startMeshGateway(dir, "fixed-mesh-2p", target, target, 2);
    procs.push(mesh2.proc);
    const baseline2 = await startBaselineGateway(dir, "fixed-baseline-2p", `127.0.0.1:${hp}`, `127.0.0.1:${hp}`, 2);
    procs.push(baseline2.proc);
    // The bare Node relay (its health checks pass through to the upstream).
    const relay = await startNodeReference(dir, "relay", ["--upstream", target]);
    procs.push(relay.proc);
    return { upstream, grpc: target, http: `127.0.0.1:${hp}`, mesh, baseline, mesh2, baseline2, relay, stop: () => stopAll(procs) };
  } catch (e) {
    await stopAll(procs);
    throw e;
  }
}
