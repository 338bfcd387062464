/**
 * `agentos_gateway_calls_total` counts every call, whichever way it came: the gRPC relay, gRPC-Web,
 * the Connect relays (unary and streams), connect-node's decoding path (a compressed Connect call), and
 * REST; each with its final code, a client that goes away mid-stream as CANCELLED.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ModelService } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { defaultConfig } from "../config/config.js";
import { installCompactBind } from "../http/async-bind.js";
import { createRestHandler } from "../rest/index.js";
import { build, type Gateway } from "../server.js";
import { MODEL_SERVICE, startModelWorker, testPool, type ModelWorker } from "../../test/mesh.js";

let worker: ModelWorker;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  installCompactBind();
  worker = await startModelWorker();
  gateway = await build({
    config: { ...defaultConfig(), host: "127.0.0.1", port: 0, pools: [testPool(MODEL_SERVICE, [worker.address])] },
    httpHandlers: (g) => [createRestHandler({ services: g.services, transport: g.transportFor("rest") })],
  });
  await gateway.waitReady(60_000);
  base = `http://127.0.0.1:${gateway.port}`;
}, 90_000);

afterAll(async () => {
  await gateway?.close(200);
  await worker?.stop();
});

/** The value of agentos_gateway_calls_total for one method, protocol and code (0 when absent). */
async function calls(method: string, protocol: string, code: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = `agentos_gateway_calls_total{service="${MODEL_SERVICE}",method="${method}",protocol="${protocol}",code="${code}"} `;
  const found = text.split("\n").find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.substring(line.length));
}

const client = (transport: Parameters<typeof createClient>[1]): Client<typeof ModelService> => createClient(ModelService, transport);

describe("agentos_gateway_calls_total", () => {
  it("counts calls over every protocol and path, with their codes", async () => {
    const grpc = client(createGrpcTransport({ baseUrl: base }));
    const grpcWeb = client(createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" }));
    const connectJson = client(createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
    const connectBinary = client(createConnectTransport({ baseUrl: base, httpVersion: "1.1", useBinaryFormat: true }));
    const gzipped = client(createConnectTransport({ baseUrl: base, httpVersion: "1.1", sendCompression: compressionGzip, compressMinBytes: 0 }));

    const script = JSON.stringify({ tokens: ["a", "b"] });
    const headers = { "x-agentos-script": script };
    await grpc.listModels({});
    await grpcWeb.complete({ prompt: "hi" }, { headers });
    await connectJson.complete({ prompt: "hi" }, { headers }); // the Connect unary relay
    for await (const _ of connectBinary.generate({ prompt: "hi" }, { headers })) void _; // the Connect stream relay
    await gzipped.complete({ prompt: "hi" }, { headers }); // connect-node's decoding path
    const bad = await connectJson.complete({ prompt: "hi", sampling: { temperature: 5 } }, { headers }).catch((e: unknown) => ConnectError.from(e));
    expect((bad as ConnectError).code).toBe(Code.InvalidArgument);
    const rest = await fetch(`${base}/v1/complete`, {
      method: "POST",
      headers: { "content-type": "application/json", "grpc-metadata-x-agentos-script": script },
      body: JSON.stringify({ prompt: "hi" }),
    });
    expect(rest.status).toBe(200);

    expect(await calls("ListModels", "grpc", "OK")).toBe(1);
    expect(await calls("Complete", "grpc-web", "OK")).toBe(1);
    expect(await calls("Complete", "connect", "OK")).toBe(2);
    expect(await calls("Generate", "connect", "OK")).toBe(1);
    expect(await calls("Complete", "connect", "INVALID_ARGUMENT")).toBe(1);
    expect(await calls("Complete", "rest", "OK")).toBe(1);
  });

  it("counts a stream the client leaves as CANCELLED, on the relay and through REST", async () => {
    const headers = { "x-agentos-script": JSON.stringify({ tokens: Array.from({ length: 100 }, () => "t "), token_delay_ms: 20 }) };
    const connect = client(createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
    const stop = new AbortController();
    await (async () => {
      for await (const _ of connect.generate({ prompt: "hi" }, { headers, signal: stop.signal })) {
        void _;
        stop.abort();
      }
    })().catch(() => {});
    const rest = new AbortController();
    const res = await fetch(`${base}/v1/generate`, {
      method: "POST",
      headers: { "content-type": "application/json", "grpc-metadata-x-agentos-script": headers["x-agentos-script"] },
      body: JSON.stringify({ prompt: "hi" }),
      signal: rest.signal,
    });
    await res.body!.getReader().read();
    rest.abort();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && ((await calls("Generate", "connect", "CANCELLED")) < 1 || (await calls("Generate", "rest", "CANCELLED")) < 1)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await calls("Generate", "connect", "CANCELLED")).toBe(1);
    expect(await calls("Generate", "rest", "CANCELLED")).toBe(1);
  });
});
