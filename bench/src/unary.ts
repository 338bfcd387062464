/**
 * Unary workloads: closed-loop maximum throughput (h2load), fixed-rate latency (vegeta), and the
 * gateway-alone ceiling (h2load, cross-checked by ghz).
 */
import { per1k, type Measurement } from "./measurement.js";
import { unaryHeaders, type Payload, type Protocol } from "./payloads.js";
import { scrapeStatusCounts, statusErrors } from "./status-counts.js";
import { measure } from "./procstat.js";
import { ghz } from "./tools/ghz.js";
import { h2load } from "./tools/h2load.js";
import { vegeta } from "./tools/vegeta.js";

/** Load shape of the closed-loop runs. */
export interface LoadShape {
  durationS: number;
  warmupS: number;
  /** Requests in flight: HTTP/1.1 uses this many connections; HTTP/2 4 connections × (this / 4) streams. */
  inFlight: number;
}

/** Where and how to send one unary workload. */
export interface UnaryTarget {
  workload: string;
  variant: string;
  target: string;
  protocol: Protocol;
  http: "h1" | "h2c";
  payload: Payload;
  pids: Record<string, number>;
  /** Size of a correct response body (gRPC: message + 5-byte frame header), from the check call. */
  expectedBodyBytes?: number;
  /** The /metrics pages counting this target's calls by gRPC status (mesh variants; status-counts.ts). */
  statusPages?: string[];
}

/**
 * Runs `work` between two scrapes of `t`'s status counters; the error, when a call ended in one (at most
 * `mayCancel` cancelled calls excepted). Without status pages the load tool's own check is all there is.
 */
async function checkingStatus<T>(t: UnaryTarget, mayCancel: number, work: () => Promise<T>): Promise<{ value: T; statusError?: string }> {
  if (!t.statusPages) return { value: await work() };
  const before = await scrapeStatusCounts(t.statusPages);
  const value = await work();
  // A call cut off by the load tool is counted cancelled by each process it reached.
  return { value, statusError: statusErrors(before, await scrapeStatusCounts(t.statusPages), mayCancel * t.statusPages.length) };
}

function urlOf(t: UnaryTarget): string {
  return `http://${t.target}${t.protocol === "http-json" ? t.payload.restPath : t.payload.method}`;
}

/** Runs h2load as fast as the target answers and charges the processes' CPU to the measured calls. */
export async function closedLoop(t: UnaryTarget, shape: LoadShape, rep: number): Promise<Measurement> {
  const h1 = t.http === "h1";
  const connections = h1 ? shape.inFlight : Math.min(4, shape.inFlight);
  const { value: { result, usage }, statusError } = await checkingStatus(t, shape.inFlight, () => measure(
    t.pids,
    () =>
      h2load({
        url: urlOf(t),
        body: t.payload.body[t.protocol],
        headers: unaryHeaders(t.protocol),
        h1,
        connections,
        streamsPerConnection: Math.max(1, Math.round(shape.inFlight / connections)),
        durationS: shape.durationS,
        warmupS: shape.warmupS,
      }),
    { skipMs: shape.warmupS * 1000, windowMs: shape.durationS * 1000 },
  ));
  const errors: string[] = statusError ? [statusError] : [];
  if (result.failed || result.errored) errors.push(`${result.failed} failed, ${result.errored} errored of ${result.requests}`);
  if (result.succeeded === 0) errors.push("no call succeeded");
  // gRPC errors arrive as HTTP 200 with a status in the trailers and no message: check the body sizes.
  if (t.expectedBodyBytes && result.dataBytesPerCall < 0.9 * t.expectedBodyBytes) {
    errors.push(`responses average ${result.dataBytesPerCall.toFixed(0)} body bytes, a correct one has ${t.expectedBodyBytes}`);
  }
  return {
    workload: t.workload,
    variant: t.variant,
    rep,
    tool: "h2load",
    ok: errors.length === 0,
    errors,
    calls: result.succeeded,
    throughput: result.throughput,
    latency: result.latency,
    latencySample: result.latencySample,
    usage,
    cpuPer1k: per1k(usage, result.succeeded),
  };
}

/** Runs vegeta at a fixed rate (open loop) for latency percentiles at that load. */
export async function fixedRate(t: UnaryTarget, rate: number, durationS: number, rep: number): Promise<Measurement> {
  const { value: { result, usage }, statusError } = await checkingStatus(t, 0, () => measure(t.pids, () =>
    vegeta({ url: urlOf(t), body: t.payload.body[t.protocol], headers: unaryHeaders(t.protocol), h2c: t.http === "h2c", rate, durationS }),
    // The window is the attack's: vegeta's report and encode steps after it are left out.
    { windowMs: durationS * 1000 },
  ));
  const errors: string[] = statusError ? [statusError] : [];
  if (result.success < 1) errors.push(`success ratio ${result.success.toFixed(4)}: ${JSON.stringify(result.statusCodes)} ${result.errors.slice(0, 3).join("; ")}`);
  const ok = errors.length === 0;
  const calls = Math.round(result.requests * result.success);
  return {
    workload: t.workload,
    variant: t.variant,
    rep,
    tool: "vegeta",
    ok,
    errors,
    calls,
    throughput: result.throughput,
    offeredRate: result.rate,
    latency: result.latency,
    latencySample: result.latencySample,
    usage,
    cpuPer1k: per1k(usage, calls),
  };
}

/** Cross-checks a gRPC target with ghz, which verifies each call's gRPC status. */
export async function ghzRun(t: UnaryTarget, call: string, json: string, shape: LoadShape, rep: number, protoset?: string): Promise<Measurement> {
  const { result, usage } = await measure(t.pids, () =>
    ghz({ target: t.target, call, json, concurrency: shape.inFlight, connections: Math.min(4, shape.inFlight), durationS: shape.durationS, protoset }),
  );
  // ghz ends a timed run by closing its connections under the calls still in flight; those (at most one
  // per concurrent worker) are not failures of the target.
  let cut = 0;
  for (const [message, count] of Object.entries(result.errors)) {
    if (/closed network connection|context canceled|code = Canceled/.test(message)) cut += count;
  }
  const bad = result.count - result.ok - (cut <= shape.inFlight ? cut : 0);
  const errors = bad === 0 ? [] : [`${bad} of ${result.count} calls not OK: ${JSON.stringify(result.errors).slice(0, 300)}`];
  return {
    workload: t.workload,
    variant: t.variant,
    rep,
    tool: "ghz",
    ok: errors.length === 0 && result.ok > 0,
    errors,
    calls: result.ok,
    throughput: result.throughput,
    latency: result.latency,
    usage,
    cpuPer1k: per1k(usage, result.ok),
  };
}
