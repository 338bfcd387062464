/**
 * The benchmark's own token-stream client (bench/go/cmd/token-client). No established load tool times
 * the individual messages of a server stream, so this one opens the streams and records when each token
 * arrives: time to first token, inter-token gaps, tokens/s, and checks each stream's token count and
 * finish reason.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../process.js";
import { toolPath } from "./paths.js";

/** A stream protocol of the token client. */
export type StreamProtocol = "grpc" | "connect-proto" | "connect-json" | "sse";

/** One token-client run. */
export interface TokenClientOptions {
  protocol: StreamProtocol;
  target: string;
  http?: "h1" | "h2c";
  streams: number;
  concurrency: number;
  connections: number;
  maxTokens: number;
  prompt: string;
  /** The worker's synthetic rate, for the lateness figure. */
  rate: number;
  rampMs?: number;
  durationS?: number;
  timelines?: number;
}

/** A latency distribution as the token client reports it (milliseconds). */
export interface TokenDist {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** The token client's JSON summary. */
export interface TokenClientResult {
  streams_ok: number;
  streams_failed: number;
  errors: string[];
  wall_seconds: number;
  tokens: number;
  messages: number;
  tokens_per_message: number;
  tokens_per_second: number;
  bytes_per_stream: number;
  ttft_ms: TokenDist;
  gap_ms: TokenDist;
  message_gap_ms: TokenDist;
  lateness_ms: TokenDist;
  stream_ms: TokenDist;
  stream_tokens_per_second: TokenDist;
  timelines: [number, number][][] | null;
  gap_sample: number[];
  ttft_sample: number[];
}

/** Runs the token client and returns its summary. */
export async function tokenClient(o: TokenClientOptions): Promise<TokenClientResult> {
  const dir = mkdtempSync(join(tmpdir(), "tokens-"));
  try {
    const out = join(dir, "out.json");
    await run(toolPath("token-client"), [
      "-protocol", o.protocol,
      "-target", o.target,
      "-http", o.http ?? "h1",
      "-streams", String(o.streams),
      "-concurrency", String(o.concurrency),
      "-connections", String(o.connections),
      "-max-tokens", String(o.maxTokens),
      "-prompt", o.prompt,
      "-rate", String(o.rate),
      "-ramp", `${o.rampMs ?? 0}ms`,
      "-duration", `${o.durationS ?? 0}s`,
      "-timelines", String(o.timelines ?? 4),
      "-out", out,
    ], { timeoutMs: 600_000 });
    return JSON.parse(readFileSync(out, "utf8")) as TokenClientResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
