/**
 * Token-stream workloads, driven by the benchmark's token client: a paced 256-token stream (time to
 * first token, inter-token gaps), unpaced streams (tokens/s, CPU per token), and many concurrent streams.
 */
import { perToken, per1k, type Measurement } from "./measurement.js";
import { STREAM } from "./payloads.js";
import { measure } from "./procstat.js";
import { tokenClient, type StreamProtocol } from "./tools/token-client.js";

/** Where and how to run one stream workload. */
export interface StreamTarget {
  workload: string;
  variant: string;
  target: string;
  protocol: StreamProtocol;
  http: "h1" | "h2c";
  pids: Record<string, number>;
}

/** Shape of a stream run. */
export interface StreamShape {
  streams: number;
  concurrency: number;
  /** HTTP/2 connections the streams share (gRPC); HTTP/1.1 needs one connection per open stream. */
  connections: number;
  /** The workers' synthetic rate (tokens/s per stream, 0 = unpaced). */
  rate: number;
  rampMs?: number;
  durationS?: number;
  maxTokens?: number;
}

/** Runs the token client against `t` and charges the processes' CPU to the tokens received. */
export async function streamRun(t: StreamTarget, shape: StreamShape, rep: number, keepSamples: boolean): Promise<Measurement> {
  const { result, usage } = await measure(t.pids, () =>
    tokenClient({
      protocol: t.protocol,
      target: t.target,
      http: t.http === "h2c" && t.protocol !== "grpc" ? "h2c" : "h1",
      streams: shape.streams,
      concurrency: shape.concurrency,
      connections: shape.connections,
      maxTokens: shape.maxTokens ?? STREAM.maxTokens,
      prompt: STREAM.prompt,
      rate: shape.rate,
      rampMs: shape.rampMs ?? 0,
      durationS: shape.durationS ?? 0,
      timelines: keepSamples ? 6 : 0,
    }),
  );
  const errors = result.errors.slice();
  if (result.streams_failed) errors.unshift(`${result.streams_failed} of ${result.streams_ok + result.streams_failed} streams failed`);
  if (result.streams_ok === 0) errors.push("no stream completed");
  if (!keepSamples) {
    result.gap_sample = [];
    result.ttft_sample = [];
  }
  return {
    workload: t.workload,
    variant: t.variant,
    rep,
    tool: "token-client",
    ok: errors.length === 0,
    errors,
    calls: result.streams_ok,
    throughput: result.streams_ok / result.wall_seconds,
    usage,
    cpuPer1k: per1k(usage, result.streams_ok),
    tokens: result.tokens,
    cpuUsPerToken: perToken(usage, result.tokens),
    stream: result,
  };
}
