import type { Usage } from "./procstat.js";
import type { Percentiles } from "./stats.js";
import type { TokenClientResult } from "./tools/token-client.js";

/** One measured run of one workload on one variant. */
export interface Measurement {
  workload: string;
  variant: string;
  rep: number;
  /** The load tool that produced the figures. */
  tool: string;
  /** False when the run had failed calls or wrong answers (its figures are then not used). */
  ok: boolean;
  errors: string[];
  /** Calls (or streams) completed in the measurement window. */
  calls: number;
  /** Calls (or streams) per second. */
  throughput: number;
  /** Offered rate of a fixed-rate run. */
  offeredRate?: number;
  latency?: Percentiles;
  latencySample?: number[];
  usage: Usage;
  /** CPU seconds per 1,000 calls, per process. */
  cpuPer1k: Record<string, number>;
  /** Streams: tokens received and CPU microseconds per token, per process. */
  tokens?: number;
  cpuUsPerToken?: Record<string, number>;
  stream?: TokenClientResult;
}

/** Bytes on the wire per call of one variant, per hop (TCP payload: HTTP framing, headers, bodies). */
export interface WireBytes {
  workload: string;
  variant: string;
  calls: number;
  /** Load client ↔ first hop (gateway, or the worker when direct). */
  client: { request: number; response: number };
  /** Gateway ↔ worker (absent when direct). */
  upstream?: { request: number; response: number };
}

/** CPU seconds per 1,000 calls from a usage reading. */
export function per1k(usage: Usage, calls: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(usage.cpu)) out[name] = calls > 0 ? (s / calls) * 1000 : NaN;
  return out;
}

/** CPU microseconds per token from a usage reading. */
export function perToken(usage: Usage, tokens: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(usage.cpu)) out[name] = tokens > 0 ? (s / tokens) * 1e6 : NaN;
  return out;
}
