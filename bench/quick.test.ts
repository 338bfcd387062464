/**
 * The benchmark's quick mode, run by `make test`: it starts both stacks (and the gateway-alone set-up)
 * for real, drives every workload briefly through every variant, and asserts only that each one
 * answered correctly — never a speed (the machine is shared; speeds are for `make bench`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Measurement } from "./src/measurement.js";
import type { Check } from "./src/verify.js";
import { ROOT } from "./src/tools/paths.js";
import { VARIANTS } from "./src/variants.js";

interface Results {
  checks: Check[];
  measurements: Measurement[];
  wire: { workload: string; variant: string; calls: number }[];
}

describe("make bench-quick", () => {
  let dir: string;
  let results: Results;
  let exitCode: number | null;
  let stderr = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bench-quick-"));
    // Asynchronously: a blocked worker would miss vitest's own heartbeats.
    exitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn("node", ["--import", "tsx", join(ROOT, "bench/src/main.ts"), "--quick", "--out", dir], {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 600_000);
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as Results;
  }, 660_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 0 and writes the report with its plots", () => {
    expect(exitCode, stderr.slice(-3000)).toBe(0);
    const report = readFileSync(join(dir, "report.md"), "utf8");
    expect(report).toContain("## Targets");
    expect(report).toContain("## ADR-006 performance floor");
    for (const plot of ["throughput.svg", "latency-unary.svg", "stream-timelines.svg", "many-gaps.svg"]) {
      expect(existsSync(join(dir, "plots", plot)), plot).toBe(true);
    }
  });

  it("gets correct answers from every variant of both stacks before measuring", () => {
    for (const v of VARIANTS) {
      for (const workload of ["unary", "embed", "stream"]) {
        const c = results.checks.find((x) => x.variant === v.id && x.workload === workload);
        expect(c, `${workload} ${v.id}`).toBeDefined();
        expect(c?.ok, `${workload} ${v.id}: ${c?.detail}`).toBe(true);
      }
    }
    const link = results.checks.find((c) => c.workload === "link");
    expect(link?.ok, `the mesh gateway's worker links: ${link?.detail}`).toBe(true);
    const alone = results.checks.filter((c) => c.workload === "gateway-alone");
    expect(alone.map((c) => c.variant).sort()).toEqual(["alone-baseline", "alone-baseline-2p", "alone-mesh-connect", "alone-mesh-grpc", "alone-mesh-grpc-2p", "alone-native-grpc", "alone-native-http", "alone-node-relay"]);
    for (const c of alone) expect(c.ok, `${c.variant}: ${c.detail}`).toBe(true);
  });

  it("completes every load run without a failed call or stream", () => {
    const workloads = new Set(results.measurements.map((m) => m.workload));
    for (const w of ["unary", "unary-fixed", "unary-common", "unary-light", "gateway-alone", "gateway-alone-ghz", "embed", "stream-max", "stream", "streams-many"]) {
      expect(workloads.has(w), w).toBe(true);
    }
    for (const m of results.measurements) {
      expect(m.ok, `${m.workload} ${m.variant}: ${m.errors.join("; ")}`).toBe(true);
      expect(m.calls, `${m.workload} ${m.variant}`).toBeGreaterThan(0);
    }
    // The bare Node references ran beside the stacks (what Node's HTTP/2 itself costs).
    const ran = (w: string, v: string) => results.measurements.some((m) => m.workload === w && m.variant === v);
    expect(ran("gateway-alone", "alone-node-relay"), "the bare Node relay").toBe(true);
    expect(ran("streams-many", "reference-node-h2"), "the bare Node token server").toBe(true);
  });

  it("counts bytes on the wire for each variant", () => {
    for (const v of VARIANTS) {
      for (const workload of ["unary", "embed", "stream"]) {
        const w = results.wire.find((x) => x.variant === v.id && x.workload === workload);
        expect(w?.calls, `${workload} ${v.id}`).toBeGreaterThan(0);
      }
    }
  });
});
