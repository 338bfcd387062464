import { describe, expect, it } from "vitest";
import { percentiles, spread } from "./stats.js";

describe("percentiles", () => {
  it("takes the nearest rank: the smallest value with at least p of the values at or below it", () => {
    const v = Array.from({ length: 24 }, (_, i) => 24 - i); // 24 … 1, unsorted on purpose
    expect(percentiles(v)).toEqual({ n: 24, mean: 12.5, p50: 12, p90: 22, p99: 24, max: 24 });
    const hundred = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(percentiles(hundred)).toMatchObject({ p50: 100, p90: 180, p99: 198, max: 200 });
    expect(percentiles([7])).toMatchObject({ p50: 7, p99: 7 });
  });

  it("has no figures for no values", () => {
    expect(percentiles([]).p50).toBeNaN();
  });
});

describe("spread", () => {
  it("gives the median of the repetitions (the mean of the middle two for an even count) and the range", () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(spread([4, 1, 3, 2])).toMatchObject({ median: 2.5, min: 1, max: 4 });
  });
});
