import type { Duration } from "@bufbuild/protobuf/wkt";

/** "—" for a missing figure, "850 ms" below ten seconds, "12.4 s" above. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Tokens per second with one decimal, or "—". */
export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return "—";
  return perSecond.toFixed(1);
}

/** A protobuf Duration in milliseconds; undefined when unset. */
export function durationMs(d: Duration | undefined): number | undefined {
  if (d === undefined) return undefined;
  return Number(d.seconds) * 1000 + d.nanos / 1e6;
}
