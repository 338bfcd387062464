import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { scrapeStatusCounts, statusErrors } from "./status-counts.js";

/** A /metrics page as the gateway and the workers write them. */
const GATEWAY = `# HELP agentos_gateway_calls_total Calls handled.
# TYPE agentos_gateway_calls_total counter
agentos_gateway_calls_total{service="agentos.model.v1.ModelService",method="Complete",protocol="grpc",code="OK"} 120
agentos_gateway_calls_total{service="agentos.model.v1.ModelService",method="Complete",protocol="grpc",code="CANCELED"} 2
agentos_gateway_upstream_calls_total{service="agentos.model.v1.ModelService",replica="127.0.0.1:1",code="UNAVAILABLE"} 9
`;
const WORKER = `agentos_worker_rpcs_total{code="OK",method="/agentos.model.v1.ModelService/Complete"} 118.0
agentos_worker_rpcs_total{code="UNAVAILABLE",method="/grpc.health.v1.Health/Check"} 3.0
agentos_worker_rpcs_total{code="RESOURCE_EXHAUSTED",method="/agentos.model.v1.ModelService/Complete"} 4.0
agentos_worker_rpcs_created{code="OK",method="/agentos.model.v1.ModelService/Complete"} 1.7e9
`;

describe("status counts", () => {
  it("sums the calls by code over the pages, health checks and other counters left out", async () => {
    const server = createServer((req, res) => res.end(req.url === "/gateway" ? GATEWAY : WORKER));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const counts = await scrapeStatusCounts([`${base}/gateway`, `${base}/worker`]);
      expect(Object.fromEntries(counts)).toEqual({ OK: 238, CANCELED: 2, RESOURCE_EXHAUSTED: 4 });
    } finally {
      server.close();
    }
  });

  it("reports the calls that ended in an error between two scrapes; a few cancelled ones are allowed", () => {
    const before = new Map([["OK", 10], ["CANCELLED", 1]]);
    expect(statusErrors(before, new Map([["OK", 500], ["CANCELLED", 4], ["CANCELED", 3]]), 6)).toBeUndefined();
    expect(statusErrors(before, new Map([["OK", 500], ["CANCELLED", 4], ["CANCELED", 4]]), 6)).toMatch(/7 CANCELLED/);
    expect(statusErrors(before, new Map([["OK", 500], ["UNAVAILABLE", 2]]), 6)).toBe("calls ended with gRPC errors (the mesh's own counters): 2 UNAVAILABLE");
  });
});
