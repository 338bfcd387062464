/**
 * vegeta (Go, `go install`): the open-loop, fixed-rate load tool. It sends at the set rate whatever the
 * latency (no coordinated omission), so its percentiles are the latency a client sees at that load.
 * HTTP/1.1 for Connect and the baseline, h2c for gRPC.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../process.js";
import { percentiles, sample, type Percentiles } from "../stats.js";
import { toolPath } from "./paths.js";

/** One fixed-rate run. */
export interface VegetaOptions {
  url: string;
  body: Uint8Array;
  headers: Record<string, string>;
  h2c: boolean;
  rate: number;
  durationS: number;
}

/** What a vegeta run measured. */
export interface VegetaResult {
  tool: "vegeta";
  requests: number;
  success: number;
  rate: number;
  throughput: number;
  statusCodes: Record<string, number>;
  errors: string[];
  latency: Percentiles;
  latencySample: number[];
}

/** Runs `vegeta attack` at a fixed rate and reads every result. */
export async function vegeta(o: VegetaOptions): Promise<VegetaResult> {
  const dir = mkdtempSync(join(tmpdir(), "vegeta-"));
  try {
    const bodyFile = join(dir, "body");
    const targets = join(dir, "targets");
    const results = join(dir, "results.bin");
    writeFileSync(bodyFile, o.body);
    writeFileSync(targets, `POST ${o.url}\n`);
    const bin = toolPath("vegeta");
    await run(bin, [
      "attack",
      "-targets", targets,
      "-body", bodyFile,
      ...Object.entries(o.headers).flatMap(([k, v]) => ["-header", `${k}: ${v}`]),
      ...(o.h2c ? ["-h2c"] : []),
      "-rate", `${Math.max(1, Math.round(o.rate))}/s`,
      "-duration", `${o.durationS}s`,
      "-timeout", "30s",
      "-output", results,
    ], { timeoutMs: (o.durationS + 90) * 1000 });
    const report = JSON.parse(await run(bin, ["report", "-type", "json", results])) as {
      requests: number;
      success: number;
      rate: number;
      throughput: number;
      status_codes: Record<string, number>;
      errors: string[] | null;
    };
    const csv = await run(bin, ["encode", "-to", "csv", results]);
    const lat: number[] = [];
    for (const line of csv.split("\n")) {
      const m = /^\d+,(\d+),(\d+),/.exec(line);
      if (m && m[1]?.startsWith("2")) lat.push(Number(m[2]) / 1e6);
    }
    return {
      tool: "vegeta",
      requests: report.requests,
      success: report.success,
      rate: report.rate,
      throughput: report.throughput,
      statusCodes: report.status_codes,
      errors: report.errors ?? [],
      latency: percentiles(lat),
      latencySample: sample(lat, 3000),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
