/**
 * h2load (Debian nghttp2-client): the closed-loop load tool for every unary variant, HTTP/2 (gRPC) and
 * HTTP/1.1 (Connect, baseline JSON) alike, so the same C client measures both stacks. It reports
 * throughput and status codes; per-request latencies come from its --log-file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../process.js";
import { percentiles, sample, type Percentiles } from "../stats.js";

/** One h2load run. */
export interface H2loadOptions {
  url: string;
  body: Uint8Array;
  headers: Record<string, string>;
  /** HTTP/1.1 instead of HTTP/2 (h2c with prior knowledge). */
  h1: boolean;
  /** Connections. */
  connections: number;
  /** Concurrent requests per connection (HTTP/2 streams; 1 for HTTP/1.1). */
  streamsPerConnection: number;
  /** Measurement time; 0 with `requests` set sends a fixed number of requests instead. */
  durationS: number;
  warmupS: number;
  /** Fixed number of requests (used when durationS is 0). */
  requests?: number;
}

/** What an h2load run measured. */
export interface H2loadResult {
  tool: "h2load";
  requests: number;
  succeeded: number;
  failed: number;
  errored: number;
  status2xx: number;
  throughput: number;
  /** Response bytes received (HTTP headers + data as h2load counts them) per request. */
  responseBytesPerCall: number;
  /** Response body (DATA) bytes per request: checks that answers had the expected size. */
  dataBytesPerCall: number;
  latency: Percentiles;
  latencySample: number[];
}

function num(re: RegExp, text: string): number {
  const m = re.exec(text);
  if (!m) throw new Error(`h2load output has no ${re}: ${text.slice(0, 1500)}`);
  return Number(m[1]);
}

/** Runs h2load and parses its summary and per-request log. */
export async function h2load(o: H2loadOptions): Promise<H2loadResult> {
  const dir = mkdtempSync(join(tmpdir(), "h2load-"));
  try {
    const bodyFile = join(dir, "body");
    const logFile = join(dir, "log.tsv");
    writeFileSync(bodyFile, o.body);
    const args = [
      ...(o.h1 ? ["--h1"] : []),
      "-c", String(o.connections),
      "-m", String(o.h1 ? 1 : o.streamsPerConnection),
      "-t", "1",
      ...(o.durationS > 0 ? ["-D", `${Math.round(o.durationS * 1000)}ms`, "--warm-up-time", `${Math.round(o.warmupS * 1000)}ms`] : ["-n", String(o.requests ?? 100)]),
      "-d", bodyFile,
      "--log-file", logFile,
      ...Object.entries(o.headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
      o.url,
    ];
    const out = await run("h2load", args, { timeoutMs: (o.durationS + o.warmupS + 60) * 1000 });
    const requests = num(/requests: (\d+) total/, out);
    const succeeded = num(/(\d+) succeeded/, out);
    const lat: number[] = [];
    for (const line of readFileSync(logFile, "utf8").split("\n")) {
      const cols = line.split("\t");
      if (cols.length === 3 && cols[1] && Number(cols[1]) >= 200 && Number(cols[1]) < 300) lat.push(Number(cols[2]) / 1000);
    }
    const dataBytes = num(/headers \(space savings [^)]*\), [\d.]+[KMG]?B \((\d+)\) data/, out);
    const totalBytes = num(/traffic: [\d.]+[KMG]?B \((\d+)\) total/, out);
    return {
      tool: "h2load",
      requests,
      succeeded,
      failed: num(/(\d+) failed/, out),
      errored: num(/(\d+) errored/, out),
      status2xx: num(/status codes: (\d+) 2xx/, out),
      throughput: num(/finished in [\d.]+m?s, ([\d.]+) req\/s/, out),
      responseBytesPerCall: requests ? totalBytes / requests : 0,
      dataBytesPerCall: requests ? dataBytes / requests : 0,
      latency: percentiles(lat),
      latencySample: sample(lat, 3000),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
