import { describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createCors } from "./cors.js";

async function serve(origins: string[]) {
  const cors = createCors({ allowedOrigins: origins, maxAgeSeconds: 60 });
  const server = createServer((req, res) => {
    if (cors.handle(req, res)) return;
    res.writeHead(200);
    res.end("ok");
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe("createCors", () => {
  it("is off without origins: no CORS headers", async () => {
    const s = await serve([]);
    const res = await fetch(s.url, { headers: { origin: "http://app.test" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
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
});
