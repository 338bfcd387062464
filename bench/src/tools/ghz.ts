/**
 * ghz (Go, `go install`): the gRPC-native load tool. It checks every call's gRPC status (h2load only sees
 * HTTP statuses), so it cross-checks the gRPC figures and the gateway's ceiling. It finds the method
 * through server reflection (the gateway and the workers serve it) or a descriptor set file.
 */
import { run } from "../process.js";
import type { Percentiles } from "../stats.js";
import { toolPath } from "./paths.js";

/** One ghz run. */
export interface GhzOptions {
  target: string;
  /** Fully qualified method, e.g. agentos.model.v1.ModelService.Complete. */
  call: string;
  /** Request as proto3 JSON. */
  json: string;
  concurrency: number;
  connections: number;
  durationS: number;
  /** Fixed rate (calls/s); 0 = as fast as possible. */
  rps?: number;
  /** A FileDescriptorSet file, for targets without server reflection. */
  protoset?: string;
}

/** What a ghz run measured. */
export interface GhzResult {
  tool: "ghz";
  count: number;
  ok: number;
  throughput: number;
  statusCodes: Record<string, number>;
  errors: Record<string, number>;
  latency: Percentiles;
}

interface GhzReport {
  count: number;
  rps: number;
  average: number;
  slowest: number;
  statusCodeDistribution?: Record<string, number>;
  errorDistribution?: Record<string, number>;
  latencyDistribution?: { percentage: number; latency: number }[] | null;
}

/** Runs ghz and parses its JSON report. */
export async function ghz(o: GhzOptions): Promise<GhzResult> {
  const out = await run(toolPath("ghz"), [
    "--insecure",
    "--call", o.call,
    "-d", o.json,
    "-c", String(o.concurrency),
    "--connections", String(o.connections),
    "-z", `${o.durationS}s`,
    ...(o.rps ? ["--rps", String(Math.round(o.rps))] : []),
    ...(o.protoset ? ["--protoset", o.protoset] : []),
    "-O", "json",
    o.target,
  ], { timeoutMs: (o.durationS + 60) * 1000 });
  const r = JSON.parse(out) as GhzReport;
  const pct = (p: number) => (r.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? NaN) / 1e6;
  return {
    tool: "ghz",
    count: r.count,
    ok: r.statusCodeDistribution?.OK ?? 0,
    throughput: r.rps,
    statusCodes: r.statusCodeDistribution ?? {},
    errors: r.errorDistribution ?? {},
    latency: { n: r.count, mean: r.average / 1e6, p50: pct(50), p90: pct(90), p99: pct(99), max: r.slowest / 1e6 },
  };
}
