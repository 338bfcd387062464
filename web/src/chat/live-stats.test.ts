import { describe, expect, it } from "vitest";
import { LiveStats } from "./live-stats.js";

describe("LiveStats", () => {
  it("has no figures before the first token", () => {
    const stats = new LiveStats(100);
    stats.record(0, 150);
    expect(stats.figures()).toEqual({ timeToFirstTokenMs: undefined, tokensPerSecond: undefined, totalTokens: 0 });
  });

  it("measures time to first token from the start of the call", () => {
    const stats = new LiveStats(1000);
    stats.record(1, 1250);
    expect(stats.figures().timeToFirstTokenMs).toBe(250);
    expect(stats.figures().tokensPerSecond).toBeUndefined();
  });

  it("counts tokens per second after the first response, like the worker does", () => {
    const stats = new LiveStats(0);
    stats.record(2, 100); // first response: its tokens are the TTFT's, not the rate's
    stats.record(1, 200);
    stats.record(3, 600); // coalesced response
    const f = stats.figures();
    expect(f.totalTokens).toBe(6);
    expect(f.tokensPerSecond).toBeCloseTo(4 / 0.5, 6);
  });
});
