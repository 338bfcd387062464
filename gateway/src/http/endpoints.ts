/**
 * The gateway's own HTTP endpoints: `/healthz` (the process is up), `/readyz` (every enabled pool has a
 * healthy replica; the body lists each replica's state) and `/metrics` (Prometheus text).
 */
import type { GatewayMetrics } from "../metrics/metrics.js";
import type { Pool } from "../pool/pool.js";
import type { HttpHandler } from "./types.js";

/** Readiness of the gateway and of each pool, as /readyz reports it. */
export function readiness(pools: Pool[]): { ready: boolean; pools: Record<string, { ready: boolean; replicas: Record<string, string> }> } {
  const out: Record<string, { ready: boolean; replicas: Record<string, string> }> = {};
  for (const p of pools) {
    const replicas: Record<string, string> = {};
    for (const r of p.replicas) replicas[r.address] = r.healthy ? `healthy (breaker ${r.breaker.state}, ${r.outstanding} in flight)` : `unhealthy: ${r.lastError}`;
    out[p.service] = { ready: p.ready, replicas };
  }
  return { ready: pools.every((p) => p.ready), pools: out };
}

/** Serves /healthz, /readyz and /metrics (GET and HEAD). */
export function createEndpointsHandler(pools: () => Pool[], metrics: GatewayMetrics, draining: () => boolean): HttpHandler {
  return async (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (path !== "/healthz" && path !== "/readyz" && path !== "/metrics") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
      res.end("method not allowed\n");
      return true;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok\n");
    } else if (path === "/readyz") {
      const r = readiness(pools());
      const ready = r.ready && !draining();
      res.writeHead(ready ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ ready, draining: draining(), pools: r.pools }, null, 2) + "\n");
    } else {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      res.end(body);
    }
    return true;
  };
}
