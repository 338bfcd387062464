/**
 * Metadata crosses the gateway as it would a direct call: custom and `-bin` request headers reach the
 * worker, custom and `-bin` response headers and trailers reach the client, for gRPC (raw relay),
 * Connect unary (byte relay; JSON converted on the way) and the decoding path (gRPC-Web); protocol headers
 * are translated, not copied (connect-timeout-ms becomes the worker's deadline). The worker is the
 * grpcio ConformanceService backend, which echoes what it received.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DescService } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { loadDescriptorSet } from "../descriptors/registry.js";
import { defaultConfig } from "../config/config.js";
import { build } from "../server.js";
import type { Gateway } from "../server.js";
import { PY, ROOT, startProcess, waitFor } from "../../test/harness.js";
import type { Proc } from "../../test/harness.js";
import { testPool } from "../../test/mesh.js";
import { prepareConformance } from "../../test/conformance/setup.js";

let backend: Proc;
let gateway: Gateway;
let service: DescService;

beforeAll(async () => {
  const setup = await prepareConformance();
  backend = startProcess(PY, [join(ROOT, "gateway/test/conformance/backend.py"), "--stubs", setup.stubsDir]);
  await waitFor(() => /PORT (\d+)/.test(backend.output()), "the backend to listen", 60_000);
  const port = Number(/PORT (\d+)/.exec(backend.output())![1]);
  const files = loadDescriptorSet(setup.descriptorSet);
  service = files.flatMap((f) => f.services).find((s) => s.typeName === "connectrpc.conformance.v1.ConformanceService")!;
  gateway = await build({ config: { ...defaultConfig(), host: "127.0.0.1", port: 0, pools: [testPool(service.typeName, [`127.0.0.1:${port}`])] }, files });
  await gateway.waitReady(20_000);
}, 90_000);

afterAll(async () => {
  await gateway?.close(200);
  await backend?.stop("SIGKILL");
});

const BIN = new Uint8Array([0, 1, 2, 250, 255]);
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64").replace(/=+$/, "");

describe.each([
  ["gRPC (raw relay)", (base: string) => createGrpcTransport({ baseUrl: base })],
  ["Connect binary (byte relay)", (base: string) => createConnectTransport({ baseUrl: base, httpVersion: "1.1", useBinaryFormat: true })],
  ["Connect binary over HTTP/2 (byte relay)", (base: string) => createConnectTransport({ baseUrl: base, httpVersion: "2", useBinaryFormat: true })],
  ["Connect JSON (relay with JSON conversion)", (base: string) => createConnectTransport({ baseUrl: base, httpVersion: "1.1" })],
  ["gRPC-Web (decoding path)", (base: string) => createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" })],
] as const)("%s", (_name, transport) => {
  it("passes request metadata through, -bin included, and turns the client's timeout into the worker's deadline", async () => {
    const client = createClient(service, transport(`http://127.0.0.1:${gateway.port}`)) as unknown as {
      unary(req: object, opts: object): Promise<{ payload: { requestInfo: { requestHeaders: { name: string; value: string[] }[]; timeoutMs?: bigint } } }>;
    };
    const headers = new Headers({ "x-custom": "hello", "x-trace-bin": b64(BIN) });
    const res = await client.unary({}, { headers, timeoutMs: 5000 });
    const got = Object.fromEntries(res.payload.requestInfo.requestHeaders.map((h) => [h.name, h.value]));
    expect(got["x-custom"]).toEqual(["hello"]);
    expect(got["x-trace-bin"]).toEqual([b64(BIN)]);
    expect(got["connect-timeout-ms"]).toBeUndefined();
    expect(got["connect-protocol-version"]).toBeUndefined();
    const timeout = Number(res.payload.requestInfo.timeoutMs);
    expect(timeout).toBeGreaterThan(3000);
    expect(timeout).toBeLessThanOrEqual(5000);
  });

  it("passes response headers and trailers through, -bin included", async () => {
    const client = createClient(service, transport(`http://127.0.0.1:${gateway.port}`)) as unknown as {
      unary(req: object, opts: object): Promise<unknown>;
    };
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    await client.unary(
      {
        responseDefinition: {
          responseHeaders: [{ name: "x-answer", value: ["42"] }, { name: "x-blob-bin", value: [b64(BIN)] }],
          responseTrailers: [{ name: "x-done", value: ["yes"] }],
          response: { case: "responseData", value: new Uint8Array([1]) },
        },
      },
      { onHeader: (h: Headers) => (header = h), onTrailer: (t: Headers) => (trailer = t) },
    );
    expect(header?.get("x-answer")).toBe("42");
    expect(Buffer.from(header!.get("x-blob-bin")!, "base64")).toEqual(Buffer.from(BIN));
    expect(trailer?.get("x-done")).toBe("yes");
  });
});
