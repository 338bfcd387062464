import { describe, expect, it } from "vitest";
import { cosine, cosineMatrix } from "./cosine.js";

describe("cosine", () => {
  it("is 1 for parallel vectors whatever their length", () => {
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
  });

  it("is the dot product over the norms", () => {
    expect(cosine([1, 0], [0.6, 0.8])).toBeCloseTo(0.6, 12);
    expect(cosine([1, 1], [-1, -1])).toBeCloseTo(-1, 12);
  });

  it("is 0 for a zero vector rather than NaN", () => {
    expect(cosine([0, 0], [1, 0])).toBe(0);
  });

  it("refuses vectors of different lengths", () => {
    expect(() => cosine([1, 2], [1, 2, 3])).toThrow(RangeError);
  });
});

describe("cosineMatrix", () => {
  it("is symmetric with ones on the diagonal", () => {
    const m = cosineMatrix([new Float32Array([1, 0, 0]), [0.6, 0.8, 0], [0, 0, 5]]);
    expect(m.map((row) => row.map((v) => Number(v.toFixed(6))))).toEqual([
      [1, 0.6, 0],
      [0.6, 1, 0],
      [0, 0, 1],
    ]);
  });
});
