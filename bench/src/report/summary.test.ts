import { describe, expect, it } from "vitest";
import type { Measurement } from "../measurement.js";
import { FULL } from "../options.js";
import { missedBy, summarize } from "./summary.js";

/** A closed-loop unary measurement of `variant` at `throughput` calls/s (ok unless told otherwise). */
function unary(variant: string, rep: number, throughput: number, ok = true): Measurement {
  return {
    workload: "unary",
    variant,
    rep,
    tool: "h2load",
    ok,
    errors: ok ? [] : ["3 OK of 10"],
    calls: throughput * 8,
    throughput,
    usage: { cpu: { worker: 1 }, peakMiB: { worker: 50 }, seconds: 8, otherCpu: 0 },
    cpuPer1k: { worker: 0.3 },
  };
}

const hop = (measurements: Measurement[]) => summarize({ options: FULL, measurements, wire: [] }).targets.find((t) => t.name === "Gateway hop: unary throughput vs direct")!;

describe("summarize: targets", () => {
  it("takes the medians of the repetitions that succeeded and checks the goal", () => {
    const t = hop([unary("mesh-grpc", 0, 900), unary("mesh-grpc", 1, 850), unary("mesh-grpc", 2, 10, false), unary("direct-grpc", 0, 1000), unary("direct-grpc", 1, 1000)]);
    expect(t.value).toBeCloseTo(0.875);
    expect(t.met).toBe(true);
    expect(t.missedBy).toBe("");
    const missed = hop([unary("mesh-grpc", 0, 740), unary("direct-grpc", 0, 1000)]);
    expect(missed.met).toBe(false);
    expect(missed.missedBy).toBe("6 points short");
  });

  it("counts a workload that failed every repetition as a missed target, not an unmeasured one", () => {
    const t = hop([unary("mesh-grpc", 0, 900, false), unary("mesh-grpc", 1, 900, false), unary("direct-grpc", 0, 1000)]);
    expect(t.met).toBe(false);
    expect(t.measured).toBe("every run failed (unary mesh-grpc)");
  });

  it("leaves a target unmeasured when its workload did not run at all", () => {
    const t = hop([unary("direct-grpc", 0, 1000)]);
    expect(t.met).toBeUndefined();
    expect(t.measured).toBe("not measured");
  });
});

describe("summarize: added latency", () => {
  const light = (variant: string, rep: number, p50: number, ok = true): Measurement => ({
    ...unary(variant, rep, 100, ok),
    workload: "unary-light",
    tool: "vegeta",
    latency: { n: 800, mean: p50, p50, p90: p50, p99: p50, max: p50 },
  });
  const added = (measurements: Measurement[]) => summarize({ options: FULL, measurements, wire: [] }).targets.find((t) => t.name.startsWith("Gateway hop: added p50 latency at"))!;

  it("is the median of the differences within each repetition, not the difference of the medians", () => {
    // Per repetition: +1.0, +0.5, +0.1 ms → 0.5; the medians alone (3.0 − 2.9) would say 0.1.
    const t = added([light("mesh-grpc", 0, 2), light("mesh-grpc", 1, 5), light("mesh-grpc", 2, 3), light("direct-grpc", 0, 1), light("direct-grpc", 1, 4.5), light("direct-grpc", 2, 2.9)]);
    expect(t.value).toBeCloseTo(0.5);
    expect(t.met).toBe(false);
  });

  it("pairs only repetitions in which both runs were correct", () => {
    const t = added([light("mesh-grpc", 0, 2), light("mesh-grpc", 1, 1.2), light("direct-grpc", 0, 0.5, false), light("direct-grpc", 1, 1)]);
    expect(t.value).toBeCloseTo(0.2);
    expect(t.met).toBe(true);
  });
});

describe("missedBy", () => {
  it("says how far a figure is from its bound, in the bound's terms", () => {
    expect(missedBy(0.55, { atLeast: 1.2, unit: "ratio" })).toBe("2.2× short (46% of the goal)");
    expect(missedBy(1.1, { atMost: 0.7, unit: "ratio" })).toBe("1.6× the limit");
    expect(missedBy(0.99, { atMost: 0.3, unit: "ms" })).toBe("0.69 ms over (3.3× the limit)");
    expect(missedBy(7193, { atLeast: 8000, unit: "calls/s" })).toBe("807 calls/s short");
    expect(missedBy(0.74, { atLeast: 0.8, unit: "percent" })).toBe("6 points short");
  });

  it("is empty for a figure within its bound, on the bound itself, or not measured", () => {
    expect(missedBy(1.29, { atLeast: 1.2, unit: "ratio" })).toBe("");
    expect(missedBy(0.3, { atMost: 0.3, unit: "ms" })).toBe("");
    expect(missedBy(NaN, { atLeast: 3, unit: "ratio" })).toBe("");
  });
});
