/**
 * One benchmark run: starts the stacks phase by phase (the synthetic token rate is a worker flag, so each
 * rate gets fresh workers), checks every variant's answers, then measures each workload on every variant,
 * alternating the order between repetitions, and counts bytes on the wire in an untimed pass.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { checkEmbed, checkLinks, checkUnary, maxDifference, type Check } from "./verify.js";
import { closedLoop, fixedRate, ghzRun, type LoadShape, type UnaryTarget } from "./unary.js";
import { streamRun, type StreamShape } from "./streams.js";
import { streamWire, unaryWire } from "./wire.js";
import { embedPayload, unaryPayload, STREAM, UNARY } from "./payloads.js";
import { writeModelProtoset } from "./protoset.js";
import { startBaseline, startFixed, startMesh, startNodeTokens, type Stack, type WorkerSettings } from "./stacks.js";
import { alternate, pidsOf, REFERENCE_TOKENS, targetOf, VARIANTS, type Service, type Variant } from "./variants.js";
import type { Measurement, WireBytes } from "./measurement.js";
import type { BenchOptions } from "./options.js";

/** Everything a run produced. */
export interface RunData {
  checks: Check[];
  measurements: Measurement[];
  wire: WireBytes[];
  notes: string[];
}

type Stacks = Record<"mesh" | "baseline", Stack>;

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

function unaryTarget(workload: string, v: Variant, stacks: Stacks, service: Service, expected?: number): UnaryTarget {
  const payload = service === "model" ? unaryPayload() : embedPayload();
  return {
    workload,
    variant: v.id,
    target: targetOf(v, stacks, service),
    protocol: v.protocol,
    http: v.http,
    payload,
    pids: pidsOf(v, stacks, service),
    expectedBodyBytes: expected === undefined ? undefined : expected + (v.protocol === "grpc" ? 5 : 0),
    statusPages: statusPagesOf(v, stacks, service),
  };
}

/** The /metrics pages that count the calls of `v` on `service` by gRPC status (mesh variants only). */
function statusPagesOf(v: Variant, stacks: Stacks, service: Service): string[] | undefined {
  const pages = stacks[v.stack].statusPages;
  if (!pages) return undefined;
  return v.hop === "gateway" ? [pages.gateway, pages[service]] : [pages[service]];
}

async function withStacks<T>(dir: string, w: WorkerSettings, body: (s: Stacks) => Promise<T>): Promise<T> {
  log(`starting the mesh and the baseline (synthetic rate ${w.syntheticRate} tokens/s, ${w.embedding} embeddings)`);
  const mesh = await startMesh(dir, w);
  let baseline: Stack | undefined;
  try {
    baseline = await startBaseline(dir, w);
    return await body({ mesh, baseline });
  } finally {
    await Promise.all([mesh.stop(), baseline?.stop()]);
  }
}

/** Runs `fn` and records a failed measurement instead of throwing, so one broken variant cannot stop the run. */
async function guarded(data: RunData, label: { workload: string; variant: string; rep: number }, fn: () => Promise<Measurement>): Promise<Measurement | undefined> {
  try {
    const m = await fn();
    data.measurements.push(m);
    log(`${label.workload} ${label.variant} rep ${label.rep}: ${m.ok ? "" : "FAILED "}${m.throughput.toFixed(1)}/s${m.latency ? ` p50 ${m.latency.p50.toFixed(2)} ms p99 ${m.latency.p99.toFixed(2)} ms` : ""}${m.stream ? ` ttft p50 ${m.stream.ttft_ms.p50.toFixed(2)} ms gap p99 ${m.stream.gap_ms.p99.toFixed(2)} ms ${m.stream.tokens_per_second.toFixed(0)} tok/s` : ""}${m.errors.length ? ` (${m.errors.join("; ").slice(0, 300)})` : ""}`);
    return m;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    log(`${label.workload} ${label.variant} rep ${label.rep}: ERROR ${msg.slice(0, 300)}`);
    data.measurements.push({ ...label, tool: "", ok: false, errors: [msg.slice(0, 1000)], calls: 0, throughput: 0, usage: { cpu: {}, peakMiB: {}, seconds: 0, otherCpu: 0 }, cpuPer1k: {} });
    return undefined;
  }
}

async function guardedWire(data: RunData, fn: () => Promise<WireBytes>): Promise<void> {
  try {
    data.wire.push(await fn());
  } catch (e) {
    data.notes.push(`bytes on the wire not measured: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Runs two streams through `v` and checks their tokens, usage and finish reason. */
async function checkStream(v: Variant, stacks: Stacks, rate: number, maxTokens: number): Promise<Check> {
  const s = await streamRun({ workload: "check-stream", variant: v.id, target: targetOf(v, stacks, "model"), protocol: v.streamProtocol, http: v.http, pids: {} }, { streams: 2, concurrency: 2, connections: 1, rate, maxTokens }, 0, false);
  return { variant: v.id, workload: "stream", ok: s.ok, detail: s.ok ? `2 streams of ${maxTokens} tokens` : s.errors.join("; ") };
}

/** The variants whose streams answered correctly, checking them now when no earlier phase did. */
async function streamVariants(stacks: Stacks, data: RunData): Promise<Set<string>> {
  for (const v of VARIANTS) {
    if (data.checks.some((c) => c.workload === "stream" && c.variant === v.id)) continue;
    const c = await checkStream(v, stacks, 0, 16);
    data.checks.push(c);
    log(`check stream ${v.id}: ${c.ok ? "ok" : "FAILED"} — ${c.detail.slice(0, 200)}`);
  }
  return new Set(data.checks.filter((c) => c.workload === "stream" && c.ok).map((c) => c.variant));
}

/**
 * Runs a few short streams through each of `variants` on fresh stacks, untimed and left out of every
 * figure, so that no measured stream is the first through a process: the first streams through a fresh
 * gateway or worker (code not yet optimised, lazy set-up) took 3–10× as long to their first token as the
 * later ones, most for the baseline, and landed in the first repetition's time-to-first-token figures.
 */
async function warmStreams(stacks: Stacks, variants: Variant[], ok: Set<string>, rate: number, streams: number, connections: number): Promise<void> {
  for (const v of variants) {
    if (!ok.has(v.id)) continue;
    const s = await streamRun({ workload: "warm-up", variant: v.id, target: targetOf(v, stacks, "model"), protocol: v.streamProtocol, http: v.http, pids: {} }, { streams, concurrency: streams, connections, rate, maxTokens: 4 }, 0, false);
    if (!s.ok) log(`warm-up streams ${v.id}: ${s.errors.join("; ").slice(0, 200)}`);
  }
}

/** Phase 1 (unpaced workers): checks, unary, fixed-rate, gateway alone, embeddings, unpaced streams. */
async function unpacedPhase(dir: string, o: BenchOptions, data: RunData): Promise<void> {
  await withStacks(dir, { syntheticRate: 0, embedding: "synthetic", maxConcurrency: 1024 }, async (stacks) => {
    const ok = new Set<string>();
    const expected: Record<string, { unary?: number; embed?: number }> = {};
    let reference: number[][] | undefined;
    const answers: Record<string, Uint8Array> = {};
    for (const v of VARIANTS) {
      const u = await checkUnary(v, targetOf(v, stacks, "model"), unaryPayload());
      const e = await checkEmbed(v, targetOf(v, stacks, "embedding"), embedPayload());
      if (e.vectors && e.check.ok) {
        reference ??= e.vectors;
        const diff = maxDifference(reference, e.vectors);
        if (diff > 1e-6) Object.assign(e.check, { ok: false, detail: `vectors differ from ${VARIANTS[0]?.id}'s by up to ${diff}` });
      }
      const sc = await checkStream(v, stacks, 0, STREAM.maxTokens);
      for (const c of [u, e.check, sc]) {
        const { response, ...rest } = c;
        data.checks.push(rest);
        log(`check ${c.workload} ${c.variant}: ${c.ok ? "ok" : "FAILED"} — ${c.detail.slice(0, 200)}`);
      }
      if (u.response) answers[v.id] = u.response;
      if (u.ok) ok.add(`unary:${v.id}`);
      if (e.check.ok) ok.add(`embed:${v.id}`);
      if (sc.ok) ok.add(`stream:${v.id}`);
      expected[v.id] = { unary: u.responseBytes, embed: e.check.responseBytes };
    }
    const pages = stacks.mesh.statusPages;
    if (pages) {
      const links = await checkLinks(pages.gateway, 2); // the model pool and the embedding pool
      data.checks.push(links);
      log(`check link mesh: ${links.ok ? "ok" : "FAILED"} — ${links.detail}`);
    }

    // Gateway alone: the same two gateways in front of a native upstream replaying real answers.
    const grpcAnswer = answers["direct-grpc"];
    const jsonAnswer = answers["direct-fastapi"];
    const fixed = grpcAnswer && jsonAnswer ? await startFixed(dir, { [unaryPayload().method]: grpcAnswer }, { [unaryPayload().restPath]: jsonAnswer }) : undefined;
    if (!fixed) data.notes.push("gateway alone not measured: the direct checks failed, so there is no real answer to replay");
    const alone: UnaryTarget[] = [];
    if (fixed) {
      const payload = unaryPayload();
      const mk = (variant: string, target: string, protocol: UnaryTarget["protocol"], http: "h1" | "h2c", pids: Record<string, number>, bytes: number): UnaryTarget => ({
        workload: "gateway-alone", variant, target, protocol, http, payload, pids, expectedBodyBytes: bytes + (protocol === "grpc" ? 5 : 0),
      });
      alone.push(
        mk("alone-mesh-grpc", fixed.mesh.target, "grpc", "h2c", { gateway: fixed.mesh.proc.pid, upstream: fixed.upstream.pid }, grpcAnswer!.length),
        mk("alone-mesh-connect", fixed.mesh.target, "connect-proto", "h1", { gateway: fixed.mesh.proc.pid, upstream: fixed.upstream.pid }, grpcAnswer!.length),
        mk("alone-baseline", fixed.baseline.target, "http-json", "h1", { gateway: fixed.baseline.proc.pid, upstream: fixed.upstream.pid }, jsonAnswer!.length),
        mk("alone-mesh-grpc-2p", fixed.mesh2.target, "grpc", "h2c", { gateway: fixed.mesh2.proc.pid, upstream: fixed.upstream.pid }, grpcAnswer!.length),
        mk("alone-baseline-2p", fixed.baseline2.target, "http-json", "h1", { gateway: fixed.baseline2.proc.pid, upstream: fixed.upstream.pid }, jsonAnswer!.length),
        mk("alone-node-relay", fixed.relay.target, "grpc", "h2c", { gateway: fixed.relay.proc.pid, upstream: fixed.upstream.pid }, grpcAnswer!.length),
        mk("alone-native-grpc", fixed.grpc, "grpc", "h2c", { upstream: fixed.upstream.pid }, grpcAnswer!.length),
        mk("alone-native-http", fixed.http, "http-json", "h1", { upstream: fixed.upstream.pid }, jsonAnswer!.length),
      );
      for (const t of alone) {
        const v = { id: t.variant, protocol: t.protocol } as Variant;
        const c = await checkUnary(v, t.target, payload);
        const { response, ...rest } = c;
        data.checks.push({ ...rest, workload: "gateway-alone" });
        log(`check gateway-alone ${t.variant}: ${c.ok ? "ok" : "FAILED"} — ${c.detail.slice(0, 200)}`);
        if (c.ok) ok.add(`alone:${t.variant}`);
      }
    }

    try {
      const shape: LoadShape = { durationS: o.durationS, warmupS: o.warmupS, inFlight: o.inFlight };
      const embedShape: LoadShape = { ...shape, inFlight: o.embedInFlight };
      for (let rep = 0; rep < o.reps; rep++) {
        const maxima: Record<string, number> = {};
        for (const v of alternate(VARIANTS, rep)) {
          if (!ok.has(`unary:${v.id}`)) continue;
          const m = await guarded(data, { workload: "unary", variant: v.id, rep }, () => closedLoop(unaryTarget("unary", v, stacks, "model", expected[v.id]?.unary), shape, rep));
          if (m?.ok) maxima[v.id] = m.throughput;
        }
        for (const t of alternate(alone, rep)) {
          if (!ok.has(`alone:${t.variant}`)) continue;
          await guarded(data, { workload: "gateway-alone", variant: t.variant, rep }, () => closedLoop(t, shape, rep));
        }
        const ghzTargets = alone.filter((t) => t.protocol === "grpc" && ok.has(`alone:${t.variant}`));
        const protoset = writeModelProtoset(join(dir, "model.protoset"));
        for (const t of alternate(ghzTargets, rep)) {
          await guarded(data, { workload: "gateway-alone-ghz", variant: t.variant, rep }, () =>
            ghzRun({ ...t, workload: "gateway-alone-ghz" }, "agentos.model.v1.ModelService.Complete", JSON.stringify({ prompt: UNARY.prompt, sampling: { maxTokens: UNARY.maxTokens } }), shape, rep, protoset),
          );
        }
        for (const v of alternate(VARIANTS, rep)) {
          const max = maxima[v.id];
          if (!max) continue;
          await guarded(data, { workload: "unary-fixed", variant: v.id, rep }, () => fixedRate(unaryTarget("unary-fixed", v, stacks, "model"), max / 2, o.durationS, rep));
        }
        // The same offered load on every variant, so latencies compare like for like (gateway vs direct).
        const slowest = Math.min(...Object.values(maxima));
        for (const v of alternate(VARIANTS, rep)) {
          if (!maxima[v.id] || !Number.isFinite(slowest)) continue;
          await guarded(data, { workload: "unary-common", variant: v.id, rep }, () => fixedRate(unaryTarget("unary-common", v, stacks, "model"), slowest / 2, o.durationS, rep));
        }
        // Light load: the per-hop latency with (almost) no queueing.
        for (const v of alternate(VARIANTS, rep)) {
          if (!maxima[v.id]) continue;
          await guarded(data, { workload: "unary-light", variant: v.id, rep }, () => fixedRate(unaryTarget("unary-light", v, stacks, "model"), o.lightRate, o.durationS, rep));
        }
        for (const v of alternate(VARIANTS, rep)) {
          if (!ok.has(`embed:${v.id}`)) continue;
          await guarded(data, { workload: "embed", variant: v.id, rep }, () => closedLoop(unaryTarget("embed", v, stacks, "embedding", expected[v.id]?.embed), embedShape, rep));
        }
        const maxShape: StreamShape = { streams: 1, concurrency: o.maxStreamConcurrency, connections: 1, rate: 0, durationS: o.maxStreamDurationS };
        for (const v of alternate(VARIANTS, rep)) {
          if (!ok.has(`stream:${v.id}`)) continue;
          await guarded(data, { workload: "stream-max", variant: v.id, rep }, () =>
            streamRun({ workload: "stream-max", variant: v.id, target: targetOf(v, stacks, "model"), protocol: v.streamProtocol, http: v.http, pids: pidsOf(v, stacks, "model") }, maxShape, rep, rep === 0),
          );
        }
      }
      log("bytes on the wire (untimed pass)");
      for (const v of VARIANTS) {
        for (const [workload, service, payload] of [["unary", "model", unaryPayload()], ["embed", "embedding", embedPayload()]] as const) {
          if (!ok.has(`${workload}:${v.id}`)) continue;
          const workerPort = v.hop === "gateway" ? Number(targetOf({ ...v, hop: "direct" }, stacks, service).split(":")[1]) : undefined;
          await guardedWire(data, () => unaryWire({ workload, variant: v.id, target: targetOf(v, stacks, service), workerPort }, v.protocol, v.http, payload, workload === "embed" ? Math.max(10, o.wireCalls / 10) : o.wireCalls));
        }
      }
    } finally {
      await fixed?.stop();
    }
  });
}

/** Phase 2 (paced workers): 256-token streams for time to first token and inter-token gaps. */
async function pacedPhase(dir: string, o: BenchOptions, data: RunData): Promise<void> {
  await withStacks(dir, { syntheticRate: o.streamRate, embedding: "synthetic", maxConcurrency: 1024 }, async (stacks) => {
    const ok = await streamVariants(stacks, data);
    await warmStreams(stacks, VARIANTS, ok, o.streamRate, o.streamConcurrency, 1);
    const shape: StreamShape = { streams: o.streams, concurrency: o.streamConcurrency, connections: 1, rate: o.streamRate };
    for (let rep = 0; rep < o.reps; rep++) {
      for (const v of alternate(VARIANTS, rep)) {
        if (!ok.has(v.id)) continue;
        await guarded(data, { workload: "stream", variant: v.id, rep }, () =>
          streamRun({ workload: "stream", variant: v.id, target: targetOf(v, stacks, "model"), protocol: v.streamProtocol, http: v.http, pids: pidsOf(v, stacks, "model") }, shape, rep, rep === 0),
        );
      }
    }
    log("bytes on the wire of token streams (untimed pass)");
    for (const v of VARIANTS) {
      if (!ok.has(v.id)) continue;
      const workerPort = v.hop === "gateway" ? Number(stacks[v.stack].modelWorker.split(":")[1]) : undefined;
      await guardedWire(data, () => streamWire({ workload: "stream", variant: v.id, target: targetOf(v, stacks, "model"), workerPort }, v.streamProtocol, o.streamRate, o.wireStreams));
    }
  });
}

/** Phase 3: many concurrent paced streams. */
async function manyPhase(dir: string, o: BenchOptions, data: RunData): Promise<void> {
  await withStacks(dir, { syntheticRate: o.manyRate, embedding: "synthetic", maxConcurrency: Math.max(1024, o.manyStreams + 64) }, async (stacks) => {
    const ok = await streamVariants(stacks, data);
    const variants = VARIANTS.filter((v) => v.id !== "mesh-connect-json");
    await warmStreams(stacks, variants, ok, o.manyRate, 32, 4);
    // What Node's http2 costs a gateway's client side: the same tokens written by a bare Node server.
    const reference = await startNodeTokens(dir, o.manyRate).catch((e: Error) => {
      data.notes.push(`the bare Node token server did not start: ${e.message}`);
      return undefined;
    });
    // HTTP/2 clients spread the streams over 4 connections (under the gateway's 1,000 streams per
    // connection); HTTP/1.1 needs one connection per open stream.
    const shape: StreamShape = { streams: o.manyStreams, concurrency: o.manyStreams, connections: 4, rate: o.manyRate, rampMs: o.manyRampMs, maxTokens: o.manyMaxTokens };
    try {
      for (let rep = 0; rep < o.reps; rep++) {
        for (const v of alternate(variants, rep)) {
          if (!ok.has(v.id)) continue;
          await guarded(data, { workload: "streams-many", variant: v.id, rep }, () =>
            streamRun({ workload: "streams-many", variant: v.id, target: targetOf(v, stacks, "model"), protocol: v.streamProtocol, http: v.http, pids: pidsOf(v, stacks, "model") }, shape, rep, rep === 0),
          );
        }
        if (reference) {
          await guarded(data, { workload: "streams-many", variant: REFERENCE_TOKENS, rep }, () =>
            streamRun({ workload: "streams-many", variant: REFERENCE_TOKENS, target: reference.target, protocol: "grpc", http: "h2c", pids: { gateway: reference.proc.pid } }, shape, rep, false),
          );
        }
      }
    } finally {
      await reference?.proc.stop();
    }
  });
}

/** Phase 4 (full runs only): the embeddings batch with the real all-MiniLM-L6-v2 on both sides. */
async function realEmbeddingPhase(dir: string, o: BenchOptions, data: RunData): Promise<void> {
  await withStacks(dir, { syntheticRate: 0, embedding: "real", maxConcurrency: 1024 }, async (stacks) => {
    const ok = new Set<string>();
    for (const v of VARIANTS) {
      const c = await checkEmbed(v, targetOf(v, stacks, "embedding"), embedPayload());
      data.checks.push({ ...c.check, workload: "embed-real" });
      if (c.check.ok) ok.add(v.id);
    }
    const variants = VARIANTS.filter((v) => v.id !== "mesh-connect-json");
    const shape: LoadShape = { durationS: o.realEmbeddingDurationS, warmupS: o.warmupS, inFlight: 4 };
    for (let rep = 0; rep < o.reps; rep++) {
      for (const v of alternate(variants, rep)) {
        if (!ok.has(v.id)) continue;
        await guarded(data, { workload: "embed-real", variant: v.id, rep }, () => closedLoop(unaryTarget("embed-real", v, stacks, "embedding"), shape, rep));
      }
    }
  });
}

/** The phases in run order; each starts its own stacks. */
export const PHASES = ["unpaced", "paced", "many", "real-embedding"] as const;
export type Phase = (typeof PHASES)[number];

/**
 * Runs the phases (all by default); logs go to `dir`. Each phase checks the answers it relies on.
 */
export async function runBenchmark(dir: string, o: BenchOptions, phases: readonly Phase[] = PHASES): Promise<RunData> {
  mkdirSync(join(dir, "logs"), { recursive: true });
  const logs = join(dir, "logs");
  const data: RunData = { checks: [], measurements: [], wire: [], notes: [] };
  if (phases.includes("unpaced")) await unpacedPhase(logs, o, data);
  if (phases.includes("paced")) await pacedPhase(logs, o, data);
  if (phases.includes("many")) await manyPhase(logs, o, data);
  if (o.realEmbedding && phases.includes("real-embedding")) await realEmbeddingPhase(logs, o, data);
  return data;
}
