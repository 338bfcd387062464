/**
 * What a worker receives from the gateway, on every path a call can take: the gRPC relay, the Connect
 * relays, and connect-node's decoding path (a compressed Connect request).
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { CompleteResponseSchema } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import type { Gateway } from "../server.js";
import { MODEL_SERVICE, startGateway, testPool } from "../../test/mesh.js";
import { startRogueWorker, type RogueWorker } from "../../test/rogue-worker.js";
import { encodeFrame } from "../grpc/frames.js";

let worker: RogueWorker;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  worker = await startRogueWorker(() => ({ messages: [toBinary(CompleteResponseSchema, create(CompleteResponseSchema, { text: "ok" }))] }));
  gateway = await startGateway([testPool(MODEL_SERVICE, [worker.address])]);
  base = `http://127.0.0.1:${gateway.port}`;
}, 60_000);

afterAll(async () => {
  await gateway?.close(200);
  await worker?.close();
});

describe("request headers towards the worker", () => {
  const json = JSON.stringify({ prompt: "hi" });
  const paths: [string, RequestInit][] = [
    ["Connect JSON (relay)", { headers: { "content-type": "application/json" }, body: json }],
    ["Connect JSON, compressed (connect-node's decoding path)", { headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: gzipSync(json) }],
    ["Connect binary (relay)", { headers: { "content-type": "application/proto" }, body: new Uint8Array() }],
  ];

  for (const [what, init] of paths) {
    it(`carries the client's user agent and metadata, not its hop headers (${what})`, async () => {
      const res = await fetch(`${base}/agentos.model.v1.ModelService/Complete`, {
        method: "POST",
        ...init,
        headers: { ...(init.headers as Record<string, string>), "user-agent": "curl/8.5.0", "x-tenant": "acme", cookie: "secret=1" },
      });
      expect(res.status).toBe(200);
      const h = worker.lastHeaders!;
      expect(h["user-agent"]).toBe("curl/8.5.0");
      expect(h["x-tenant"]).toBe("acme");
      expect(h["content-type"]).toBe("application/grpc");
      expect(h.te).toBe("trailers");
    });
  }

  it("carries a gRPC client's user agent on the gRPC relay", async () => {
    const http2 = await import("node:http2");
    const session = http2.connect(base);
    try {
      await new Promise<void>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/agentos.model.v1.ModelService/Complete", "content-type": "application/grpc", te: "trailers", "user-agent": "grpc-go/1.70.0" });
        req.on("data", () => {});
        req.on("end", resolve);
        req.on("error", reject);
        req.end(encodeFrame(0, new Uint8Array()));
      });
    } finally {
      session.close();
    }
    expect(worker.lastHeaders!["user-agent"]).toBe("grpc-go/1.70.0");
  });
});
