/** Latency percentiles in milliseconds. */
export interface Percentiles {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * Percentiles of `values` (milliseconds), by nearest rank: the p-th percentile is the smallest value
 * with at least p of the values at or below it (with fewer than 100 values, p99 is the largest). Sorts a
 * copy.
 */
export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { n: 0, mean: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const v = Float64Array.from(values).sort();
  const q = (p: number) => v[Math.max(0, Math.ceil(p * v.length) - 1)] as number;
  let sum = 0;
  for (const x of v) sum += x;
  return { n: v.length, mean: sum / v.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: v[v.length - 1] as number };
}

/** Median and range of repeated measurements of one figure. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median with min and max of the finite values in `values`. */
export function spread(values: number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  return { median, min: v[0] as number, max: v[v.length - 1] as number, n: v.length };
}

/** Evenly spaced sample of at most `n` values (for plots). */
export function sample(values: number[], n: number): number[] {
  if (values.length <= n) return values.slice();
  return Array.from({ length: n }, (_, i) => values[Math.floor((i * values.length) / n)] as number);
}
