/**
 * Turns the repetitions of a run into medians with their spread, the ratios mesh/baseline and
 * gateway/direct, and the targets with whether each was met.
 */
import type { Measurement, WireBytes } from "../measurement.js";
import { spread, type Spread } from "../stats.js";
import type { BenchOptions } from "../options.js";
import { REFERENCE_TOKENS } from "../variants.js";

/** Medians (with min–max over repetitions) of one workload on one variant. */
export interface Row {
  workload: string;
  variant: string;
  reps: number;
  failedReps: number;
  errors: string[];
  tool: string;
  throughput: Spread;
  offeredRate?: Spread;
  p50?: Spread;
  p90?: Spread;
  p99?: Spread;
  /** CPU seconds per 1,000 calls, per process, and summed. */
  cpuPer1k: Record<string, Spread>;
  /** Peak resident set, MiB, per process. */
  peakMiB: Record<string, Spread>;
  /** Streams only. */
  cpuUsPerToken?: Record<string, Spread>;
  ttftP50?: Spread;
  ttftP99?: Spread;
  gapP50?: Spread;
  gapP99?: Spread;
  latenessP99?: Spread;
  tokensPerSecond?: Spread;
  streamTokensPerSecond?: Spread;
  tokensPerMessage?: Spread;
  /** CPU the rest of the machine used during the runs (load tool, other users), seconds per run. */
  otherCpu: Spread;
}

/** One of the targets, checked against this run. */
export interface Target {
  name: string;
  goal: string;
  measured: string;
  /** The measured figure (a ratio, milliseconds or calls/s, as the goal is). */
  value: number;
  met: boolean | undefined;
  /** By how much a missed target is missed, e.g. "6 points short" or "3.3× the limit"; "" when met or unmeasured. */
  missedBy: string;
  basis: string;
}

/** A target's bound: the figure must be at least or at most `limit`, in `unit`. */
interface Bound {
  atLeast?: number;
  atMost?: number;
  unit: "percent" | "ratio" | "ms" | "calls/s";
}

/** How far `v` is from `bound`, in the bound's own terms; "" when it is within it. */
export function missedBy(v: number, bound: Bound): string {
  const { atLeast, atMost, unit } = bound;
  if (atLeast !== undefined && v < atLeast) {
    if (unit === "percent") return `${Math.round((atLeast - v) * 100)} points short`;
    if (unit === "calls/s") return `${Math.round(atLeast - v).toLocaleString("en-US")} calls/s short`;
    return `${(atLeast / v).toFixed(1)}× short (${Math.round((v / atLeast) * 100)}% of the goal)`;
  }
  if (atMost !== undefined && v > atMost) {
    const times = `${(v / atMost).toFixed(1)}× the limit`;
    return unit === "ms" ? `${(v - atMost).toFixed(2)} ms over (${times})` : times;
  }
  return ""; // within the bound, or not measured (NaN compares false)
}

const within = (v: number, b: Bound) => (b.atLeast === undefined || v >= b.atLeast) && (b.atMost === undefined || v <= b.atMost);

/** One requirement of ADR-006 ("Communication Performance"), the floor, checked per stack variant. */
export interface FloorCheck {
  requirement: string;
  goal: string;
  basis: string;
  /** Variant → the measured figure, formatted, and whether it meets the goal (undefined: not measured). */
  byVariant: Record<string, { measured: string; met: boolean | undefined }>;
}

/** The variants the ADR-006 floor is checked on: every way through a gateway. */
export const FLOOR_VARIANTS = ["mesh-grpc", "mesh-connect", "mesh-connect-json", "baseline"] as const;

/** The run in figures. */
export interface Summary {
  rows: Row[];
  wire: WireBytes[];
  targets: Target[];
  /** ADR-006's own performance targets: the floor under the issue's targets. */
  floor: FloorCheck[];
  ratios: { name: string; value: number; basis: string }[];
}

interface ResultsLike {
  options: BenchOptions;
  measurements: Measurement[];
  wire: WireBytes[];
}

function sum(rec: Record<string, number>): number {
  return Object.values(rec).reduce((a, b) => a + b, 0);
}

function rowOf(ms: Measurement[]): Row {
  const good = ms.filter((m) => m.ok);
  const first = ms[0] as Measurement;
  const pick = (f: (m: Measurement) => number | undefined) => spread(good.map(f).filter((x): x is number => x !== undefined));
  const names = new Set(good.flatMap((m) => Object.keys(m.cpuPer1k)));
  const cpuPer1k: Record<string, Spread> = {};
  const peakMiB: Record<string, Spread> = {};
  const cpuUsPerToken: Record<string, Spread> = {};
  for (const n of names) {
    cpuPer1k[n] = pick((m) => m.cpuPer1k[n]);
    peakMiB[n] = pick((m) => m.usage.peakMiB[n]);
    if (good.some((m) => m.cpuUsPerToken)) cpuUsPerToken[n] = pick((m) => m.cpuUsPerToken?.[n]);
  }
  if (names.size > 1) {
    cpuPer1k.total = pick((m) => sum(m.cpuPer1k));
    if (good.some((m) => m.cpuUsPerToken)) cpuUsPerToken.total = pick((m) => (m.cpuUsPerToken ? sum(m.cpuUsPerToken) : undefined));
  }
  const row: Row = {
    workload: first.workload,
    variant: first.variant,
    reps: good.length,
    failedReps: ms.length - good.length,
    errors: [...new Set(ms.flatMap((m) => m.errors))].slice(0, 5),
    tool: first.tool,
    throughput: pick((m) => m.throughput),
    cpuPer1k,
    peakMiB,
    otherCpu: pick((m) => m.usage.otherCpu),
  };
  if (good.some((m) => m.offeredRate !== undefined)) row.offeredRate = pick((m) => m.offeredRate);
  if (good.some((m) => m.latency)) {
    row.p50 = pick((m) => m.latency?.p50);
    row.p90 = pick((m) => m.latency?.p90);
    row.p99 = pick((m) => m.latency?.p99);
  }
  if (good.some((m) => m.stream)) {
    row.cpuUsPerToken = cpuUsPerToken;
    row.ttftP50 = pick((m) => m.stream?.ttft_ms.p50);
    row.ttftP99 = pick((m) => m.stream?.ttft_ms.p99);
    row.gapP50 = pick((m) => m.stream?.gap_ms.p50);
    row.gapP99 = pick((m) => m.stream?.gap_ms.p99);
    row.latenessP99 = pick((m) => (m.stream?.lateness_ms.n ? m.stream.lateness_ms.p99 : undefined));
    row.tokensPerSecond = pick((m) => m.stream?.tokens_per_second);
    row.streamTokensPerSecond = pick((m) => m.stream?.stream_tokens_per_second.p50);
    row.tokensPerMessage = pick((m) => m.stream?.tokens_per_message);
  }
  return row;
}

/** Groups measurements by workload and variant and summarises each group. */
export function summarize(r: ResultsLike): Summary {
  const groups = new Map<string, Measurement[]>();
  for (const m of r.measurements) {
    const key = `${m.workload}\u0000${m.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const rows = [...groups.values()].map(rowOf);
  /** Groups asked for since the last target that were run but failed in every repetition. */
  let failedLookups: string[] = [];
  const find = (w: string, v: string) => {
    const row = rows.find((x) => x.workload === w && x.variant === v);
    if (row && row.reps === 0 && row.failedReps > 0) failedLookups.push(`${w} ${v}`);
    return row && row.reps > 0 ? row : undefined;
  };
  const findAny = (w: string, v: string) => rows.find((x) => x.workload === w && x.variant === v);
  const wire = (w: string, v: string) => r.wire.find((x) => x.workload === w && x.variant === v);
  const ratios: Summary["ratios"] = [];
  const ratio = (name: string, a: number | undefined, b: number | undefined, basis: string) => {
    const value = a !== undefined && b !== undefined && b !== 0 ? a / b : NaN;
    ratios.push({ name, value, basis });
    return value;
  };
  const med = (s: Spread | undefined) => s?.median;

  // Mesh / baseline.
  for (const mv of ["mesh-grpc", "mesh-connect", "mesh-connect-json"]) {
    ratio(`unary throughput ${mv} / baseline`, med(find("unary", mv)?.throughput), med(find("unary", "baseline")?.throughput), "h2load, closed loop");
    ratio(`embeddings throughput ${mv} / baseline`, med(find("embed", mv)?.throughput), med(find("embed", "baseline")?.throughput), "h2load, closed loop, model-free encoder on both");
    ratio(`unary CPU per call ${mv} / baseline`, med(find("unary", mv)?.cpuPer1k.total), med(find("unary", "baseline")?.cpuPer1k.total), "gateway + worker CPU seconds per 1,000 calls");
    for (const w of ["stream", "stream-max", "streams-many"]) {
      ratio(`${w} CPU per token ${mv} / baseline`, med(find(w, mv)?.cpuUsPerToken?.total), med(find(w, "baseline")?.cpuUsPerToken?.total), "gateway + worker CPU per token received");
    }
    const wb = (x: WireBytes | undefined) => (x ? x.client.request + x.client.response : undefined);
    ratio(`embeddings bytes per call ${mv} / baseline`, wb(wire("embed", mv)), wb(wire("embed", "baseline")), "client ↔ gateway, request + response");
    ratio(`unary bytes per call ${mv} / baseline`, wb(wire("unary", mv)), wb(wire("unary", "baseline")), "client ↔ gateway, request + response");
    ratio(`stream bytes per stream ${mv} / baseline`, wb(wire("stream", mv)), wb(wire("stream", "baseline")), "client ↔ gateway, one 256-token stream");
  }
  // Gateway / direct.
  ratio("unary throughput mesh gateway / direct (gRPC)", med(find("unary", "mesh-grpc")?.throughput), med(find("unary", "direct-grpc")?.throughput), "h2load");
  ratio("unary throughput baseline gateway / direct (FastAPI)", med(find("unary", "baseline")?.throughput), med(find("unary", "direct-fastapi")?.throughput), "h2load");
  ratio("embeddings throughput mesh gateway / direct (gRPC)", med(find("embed", "mesh-grpc")?.throughput), med(find("embed", "direct-grpc")?.throughput), "h2load");
  ratio("embeddings throughput baseline gateway / direct (FastAPI)", med(find("embed", "baseline")?.throughput), med(find("embed", "direct-fastapi")?.throughput), "h2load");
  ratio("direct workers: grpc.aio / FastAPI unary throughput", med(find("unary", "direct-grpc")?.throughput), med(find("unary", "direct-fastapi")?.throughput), "h2load, no gateway");
  ratio("gateway alone: mesh gRPC / baseline HTTP", med(find("gateway-alone", "alone-mesh-grpc")?.throughput), med(find("gateway-alone", "alone-baseline")?.throughput), "h2load, native upstream");
  ratio("streams-many CPU per token: mesh gateway (gRPC) / bare Node http2 token server", med(find("streams-many", "mesh-grpc")?.cpuUsPerToken?.gateway), med(find("streams-many", REFERENCE_TOKENS)?.cpuUsPerToken?.gateway), "the server writes the same tokens to the same clients and does nothing else");
  ratio("gateway alone: mesh gRPC / bare Node http2 relay", med(find("gateway-alone", "alone-mesh-grpc")?.throughput), med(find("gateway-alone", "alone-node-relay")?.throughput), "h2load, native upstream; the relay is Node's http2 with no gateway features and no tuning");
  ratio("gateway alone, 2 processes each: mesh gRPC / baseline HTTP", med(find("gateway-alone", "alone-mesh-grpc-2p")?.throughput), med(find("gateway-alone", "alone-baseline-2p")?.throughput), "h2load, native upstream");

  const targets: Target[] = [];
  failedLookups = [];
  /** A target; its value's lookups (evaluated just before the call) say whether a missing value failed. */
  const target = (name: string, goal: string, value: number | undefined, bound: Bound, fmt: (v: number) => string, basis: string) => {
    const v = value ?? NaN;
    const failed = failedLookups;
    failedLookups = [];
    if (!Number.isFinite(v) && failed.length > 0) {
      // A workload that failed every repetition misses its target; it is not merely unmeasured.
      targets.push({ name, goal, value: v, measured: `every run failed (${failed.join(", ")})`, met: false, missedBy: "", basis });
      return;
    }
    const measured = Number.isFinite(v);
    targets.push({ name, goal, value: v, measured: measured ? fmt(v) : "not measured", met: measured ? within(v, bound) : undefined, missedBy: missedBy(v, bound), basis });
  };
  /**
   * The median over the repetitions of `a`'s figure minus `b`'s in the same repetition (both runs
   * correct): an added latency compares runs made minutes apart under the same conditions, never one
   * repetition's figure with another's. A group that failed every repetition is noted for the target.
   */
  const diff = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? a - b : undefined);
  const paired = (w: string, a: string, b: string, figure: (m: Measurement) => number | undefined) => {
    find(w, a);
    find(w, b);
    const byRep = (v: string) => new Map(r.measurements.filter((m) => m.workload === w && m.variant === v && m.ok).map((m) => [m.rep, figure(m)]));
    const [ra, rb] = [byRep(a), byRep(b)];
    const d: number[] = [];
    for (const [rep, x] of ra) {
      const y = rb.get(rep);
      if (x !== undefined && y !== undefined) d.push(x - y);
    }
    return d.length === 0 ? undefined : spread(d).median;
  };
  const div = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b !== 0 ? a / b : undefined);
  const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
  const x = (v: number) => `${v.toFixed(2)}×`;
  const msf = (v: number) => `${v.toFixed(2)} ms`;

  target("Gateway hop: unary throughput vs direct", "≥ 80%", div(med(find("unary", "mesh-grpc")?.throughput), med(find("unary", "direct-grpc")?.throughput)), { atLeast: 0.8, unit: "percent" }, pct, "mesh-grpc / direct-grpc, h2load closed loop");
  target("Gateway hop: added p50 latency", "≤ 0.3 ms", paired("unary-common", "mesh-grpc", "direct-grpc", (m) => m.latency?.p50), { atMost: 0.3, unit: "ms" }, msf, "vegeta, same fixed rate on both (50% of the slowest variant's maximum); median of the per-repetition differences");
  target(`Gateway hop: added p50 latency at ${r.options.lightRate} calls/s`, "≤ 0.3 ms", paired("unary-light", "mesh-grpc", "direct-grpc", (m) => m.latency?.p50), { atMost: 0.3, unit: "ms" }, msf, "vegeta, light load, same rate on both; median of the per-repetition differences");
  target("Gateway hop: added time to first token", "≤ 2 ms", paired("stream", "mesh-grpc", "direct-grpc", (m) => m.stream?.ttft_ms.p50), { atMost: 2, unit: "ms" }, msf, "p50, paced 256-token streams; median of the per-repetition differences");
  target("Gateway hop: added inter-token gap p99", "≤ 1 ms", paired("stream", "mesh-grpc", "direct-grpc", (m) => m.stream?.gap_ms.p99), { atMost: 1, unit: "ms" }, msf, "paced 256-token streams; median of the per-repetition differences");
  target("Mesh vs baseline: small unary throughput", "≥ 1.2×", div(med(find("unary", "mesh-grpc")?.throughput), med(find("unary", "baseline")?.throughput)), { atLeast: 1.2, unit: "ratio" }, x, "mesh-grpc / baseline");
  target("Mesh vs baseline: small unary throughput (Connect)", "≥ 1.2×", div(med(find("unary", "mesh-connect")?.throughput), med(find("unary", "baseline")?.throughput)), { atLeast: 1.2, unit: "ratio" }, x, "mesh-connect / baseline");
  target("Mesh vs baseline: embeddings throughput", "≥ 3×", div(med(find("embed", "mesh-grpc")?.throughput), med(find("embed", "baseline")?.throughput)), { atLeast: 3, unit: "ratio" }, x, "mesh-grpc / baseline, model-free encoder on both");
  const wb = (xw: WireBytes | undefined) => (xw ? xw.client.request + xw.client.response : undefined);
  target("Mesh vs baseline: embeddings bytes on the wire", "≤ 0.4×", div(wb(wire("embed", "mesh-grpc")), wb(wire("embed", "baseline"))), { atMost: 0.4, unit: "ratio" }, x, "client ↔ gateway bytes per call, mesh-grpc / baseline");
  target("Mesh vs baseline: CPU per streamed token", "≤ 0.7×", div(med(find("streams-many", "mesh-grpc")?.cpuUsPerToken?.total), med(find("streams-many", "baseline")?.cpuUsPerToken?.total)), { atMost: 0.7, unit: "ratio" }, x, `gateway + worker CPU, ${r.options.manyStreams} paced streams`);
  const nominal = 1000 / r.options.manyRate;
  target(`${r.options.manyStreams} concurrent streams: inter-token p99`, "≤ 5 ms over the schedule", diff(med(find("streams-many", "mesh-grpc")?.gapP99), nominal), { atMost: 5, unit: "ms" }, (v) => `${msf(v)} (gap p99 ${msf(v + nominal)}, nominal ${msf(nominal)})`, "mesh-grpc");
  target("Gateway alone: gRPC unary to a trivial upstream", "≥ 8,000 calls/s", med(find("gateway-alone", "alone-mesh-grpc")?.throughput), { atLeast: 8000, unit: "calls/s" }, (v) => `${v.toFixed(0)} calls/s`, "h2load, one gateway process; ghz cross-check in the table");
  target("Gateway alone, 2 processes (`--workers 2`)", "≥ 8,000 calls/s", med(find("gateway-alone", "alone-mesh-grpc-2p")?.throughput), { atLeast: 8000, unit: "calls/s" }, (v) => `${v.toFixed(0)} calls/s`, "h2load; the load tool and the upstream share the same 2 cores");
  return { rows, wire: r.wire, targets, ratios, floor: floorChecks(r.options, find, findAny) };
}

/**
 * ADR-006's "Communication Performance" targets, on every variant that goes through a gateway: latency
 * under 10 ms, at least 10,000 calls a minute, streaming latency under 50 ms, 100+ concurrent operations
 * per worker instance.
 */
function floorChecks(o: BenchOptions, find: (w: string, v: string) => Row | undefined, findAny: (w: string, v: string) => Row | undefined): FloorCheck[] {
  type Measured = { value: number; measured: string } | undefined;
  const check = (requirement: string, goal: string, basis: string, met: (x: number) => boolean, measure: (v: string) => Measured): FloorCheck => {
    const byVariant: FloorCheck["byVariant"] = {};
    for (const v of FLOOR_VARIANTS) {
      const m = measure(v);
      byVariant[v] = m === undefined || !Number.isFinite(m.value) ? { measured: "not measured", met: undefined } : { measured: m.measured, met: met(m.value) };
    }
    return { requirement, goal, basis, byVariant };
  };
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const under10ms = (x: number) => x < 10;
  /** The median p99 of a unary latency workload. */
  const p99 = (workload: string) => (v: string): Measured => {
    const x = find(workload, v)?.p99?.median;
    return x === undefined ? undefined : { value: x, measured: ms(x) };
  };
  return [
    check("HTTP latency", "< 10 ms", `p99 of a small unary call at ${o.lightRate} calls/s (vegeta), client → gateway → worker and back`, under10ms, p99("unary-light")),
    check("HTTP latency, every variant at one rate", "< 10 ms", "p99 at 50% of the slowest variant's maximum throughput, the same rate for all (vegeta)", under10ms, p99("unary-common")),
    check("HTTP latency under load", "< 10 ms", "p99 at 50% of the variant's own maximum throughput (vegeta)", under10ms, p99("unary-fixed")),
    check("Throughput", "≥ 10,000 calls/min", "small unary calls, closed loop (h2load), one worker per stack", (x) => x >= 10_000, (v) => {
      const t = find("unary", v)?.throughput.median;
      return t === undefined ? undefined : { value: t * 60, measured: `${Math.round(t * 60).toLocaleString("en-US")}/min` };
    }),
    check("Streaming latency", "< 50 ms", `time to first token p99 and inter-token lateness p99 (the larger), ${o.manyStreams} concurrent streams`, (x) => x < 50, (v) => {
      const row = find("streams-many", v);
      const ttft = row?.ttftP99?.median;
      const late = row?.latenessP99?.median;
      return ttft === undefined || late === undefined ? undefined : { value: Math.max(ttft, late), measured: `${ms(ttft)} · ${ms(late)}` };
    }),
    check("Concurrent operations per worker instance", "100+", `${o.manyStreams} streams open at once on one model worker, every one answered in full`, (x) => x >= 100, (v) => {
      // Counted only when no repetition lost a stream (a stream short of its tokens fails its repetition).
      const failed = findAny("streams-many", v)?.failedReps;
      if (failed === undefined) return undefined;
      return failed === 0 ? { value: o.manyStreams, measured: `${o.manyStreams}` } : { value: 0, measured: `${failed} repetition(s) failed` };
    }),
  ];
}
