/**
 * CORS on a real HTTP server: off without origins; preflights of allowed origins; `Vary` on every
 * response while CORS is on; every method the contracts' REST routes use is allowed.
 */
import { describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AgentService } from "../../../gen/ts/agentos/agent/v1/agent_service_pb.js";
import { AgentRuntimeService } from "../../../gen/ts/agentos/agent/v1/runtime_service_pb.js";
import { DocumentService } from "../../../gen/ts/agentos/document/v1/document_pb.js";
import { EmbeddingService } from "../../../gen/ts/agentos/embedding/v1/embedding_pb.js";
import { JobService } from "../../../gen/ts/agentos/jobs/v1/jobs_pb.js";
import { ModelService } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { readHttpBindings } from "../rest/http-rule.js";
import { ALLOWED_METHODS, createCors } from "./cors.js";

/** A server that runs `before`, then CORS, then answers "ok". */
async function serve(origins: string[], methods?: string[], before: (res: ServerResponse) => void = () => {}) {
  const cors = createCors({ allowedOrigins: origins, maxAgeSeconds: 60, methods });
  const server = createServer((req, res) => {
    before(res);
    if (cors.handle(req, res)) return;
    res.writeHead(200);
    res.end("ok");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

function varies(res: Response): string[] {
  return (res.headers.get("vary") ?? "").split(",").map((v) => v.trim().toLowerCase()).filter((v) => v !== "");
}

describe("createCors", () => {
  it("is off without origins: no CORS headers, no Vary", async () => {
    const s = await serve([]);
    const res = await fetch(s.url, { headers: { origin: "http://app.test" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("vary")).toBeNull();
    s.close();
  });

  it("answers preflights of allowed origins and exposes the gRPC-Web and Connect headers", async () => {
    const s = await serve(["http://app.test"]);
    const pre = await fetch(s.url, { method: "OPTIONS", headers: { origin: "http://app.test", "access-control-request-method": "POST", "access-control-request-headers": "content-type,connect-protocol-version" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://app.test");
    expect(pre.headers.get("access-control-allow-headers")).toBe("content-type,connect-protocol-version");
    const res = await fetch(s.url, { headers: { origin: "http://app.test" } });
    expect(res.headers.get("access-control-expose-headers")).toContain("grpc-status");
    expect(res.headers.get("access-control-expose-headers")).toContain("grpc-status-details-bin");
    const other = await fetch(s.url, { headers: { origin: "http://evil.test" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    s.close();
  });

  it("sends Vary: Origin on every response while on, whatever the origin; preflights also vary on the requested method and headers", async () => {
    for (const origins of [["http://app.test"], ["*"]]) {
      const s = await serve(origins);
      for (const headers of [{ origin: "http://app.test" }, { origin: "http://evil.test" }, {}] as Record<string, string>[]) {
        const res = await fetch(s.url, { headers });
        expect(varies(res), `${origins} ${JSON.stringify(headers)}`).toEqual(["origin"]);
      }
      for (const origin of ["http://app.test", "http://evil.test"]) {
        const pre = await fetch(s.url, { method: "OPTIONS", headers: { origin, "access-control-request-method": "DELETE" } });
        expect(varies(pre), `${origins} ${origin}`).toEqual(["origin", "access-control-request-headers", "access-control-request-method"]);
      }
      s.close();
    }
  });

  it("adds to a Vary the response already has", async () => {
    const s = await serve(["http://app.test"], undefined, (res) => res.setHeader("vary", "Accept-Encoding, Origin"));
    const res = await fetch(s.url, { headers: { origin: "http://app.test" } });
    expect(varies(res)).toEqual(["accept-encoding", "origin"]);
    s.close();
  });

  it("allows every method the contracts' REST routes use, in preflights of any of them", async () => {
    const used = new Set(readHttpBindings([ModelService, EmbeddingService, DocumentService, JobService, AgentService, AgentRuntimeService]).map((b) => b.httpMethod));
    expect(used.size).toBeGreaterThan(1);
    for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", ...used]) expect(ALLOWED_METHODS).toContain(m);
    const s = await serve(["http://app.test"]);
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", ...used]) {
      const pre = await fetch(s.url, { method: "OPTIONS", headers: { origin: "http://app.test", "access-control-request-method": method } });
      expect(pre.status).toBe(204);
      const allowed = (pre.headers.get("access-control-allow-methods") ?? "").split(",").map((v) => v.trim());
      expect(allowed, method).toContain(method);
    }
    s.close();
  });

  it("allows the methods it is given instead", async () => {
    const s = await serve(["http://app.test"], [...ALLOWED_METHODS, "REPORT"]);
    const pre = await fetch(s.url, { method: "OPTIONS", headers: { origin: "http://app.test", "access-control-request-method": "REPORT" } });
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, REPORT");
    s.close();
  });
});
