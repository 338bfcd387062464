/**
 * Every gRPC status the mesh's processes ended calls with, read from their own Prometheus counters
 * (the gateway's `agentos_gateway_calls_total`, the workers' `agentos_worker_rpcs_total`). A gRPC error
 * travels as HTTP 200 with the status in the trailers, which h2load and vegeta do not read: a load run
 * through the mesh counts as correct only when these counters show no call ending in error.
 */

/** Calls by status code name (OK, CANCELLED, …), summed over the processes scraped. */
export type StatusCounts = Map<string, number>;

const COUNTER = /^(agentos_gateway_calls_total|agentos_worker_rpcs_total)\{([^}]*)\} ([0-9.e+]+)$/;

/** The calls each status code ended, summed over the /metrics pages at `urls`. */
export async function scrapeStatusCounts(urls: string[]): Promise<StatusCounts> {
  const counts: StatusCounts = new Map();
  for (const url of urls) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    for (const line of (await res.text()).split("\n")) {
      const m = COUNTER.exec(line);
      if (!m) continue;
      const code = /(?:^|,)code="([^"]*)"/.exec(m[2]!)?.[1];
      if (code === undefined || /method="Check"|grpc\.health/.test(m[2]!)) continue;
      counts.set(code, (counts.get(code) ?? 0) + Number(m[3]));
    }
  }
  return counts;
}

/**
 * What went wrong between two scrapes: calls that ended in an error, other than at most `mayCancel`
 * cancelled ones (a load tool that stops on time may cut off the calls it still has in flight).
 */
export function statusErrors(before: StatusCounts, after: StatusCounts, mayCancel: number): string | undefined {
  const bad: string[] = [];
  let cancelled = 0;
  for (const [code, n] of after) {
    const d = n - (before.get(code) ?? 0);
    if (d <= 0 || code === "OK") continue;
    if (code === "CANCELLED" || code === "CANCELED") {
      cancelled += d; // gRPC's spelling, and connect-es's (gateways before the metrics used gRPC's names)
      continue;
    }
    bad.push(`${d} ${code}`);
  }
  if (cancelled > mayCancel) bad.push(`${cancelled} CANCELLED`);
  return bad.length === 0 ? undefined : `calls ended with gRPC errors (the mesh's own counters): ${bad.join(", ")}`;
}
