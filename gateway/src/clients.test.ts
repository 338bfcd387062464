/**
 * Independent clients reach the same ModelService methods through one gateway port, each with a unary
 * call (Complete) and a token stream (Generate), against the real model worker (scripted backend):
 * nice-grpc on grpc-js, Python grpcio, connect-web's transports in Node, plain curl (Connect JSON),
 * `buf curl` (gRPC, gRPC-Web, Connect; descriptors from the gateway's reflection) and grpcurl.
 */
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { createChannel, createClient as createNiceClient, Metadata } from "nice-grpc";
import { ModelService } from "../../gen/ts/agentos/model/v1/model_pb.js";
import type { Gateway } from "./server.js";
import { grpcJsDefinition } from "../test/grpc-js-definition.js";
import { PY, ROOT, TOOLS_BIN, run } from "../test/harness.js";
import { connectJsonStream, jsonEnvelopes } from "../test/connect-json.js";
import { MODEL_SERVICE, startGateway, startModelWorker, testPool } from "../test/mesh.js";
import type { ModelWorker } from "../test/mesh.js";

const SCRIPT = JSON.stringify({ tokens: ["Hello", ",", " world"] });
/** buf curl reads -H values as CSV: a value with quotes or commas is quoted, its quotes doubled. */
const csv = (v: string) => `"${v.replaceAll('"', '""')}"`;
const BUF = join(ROOT, "node_modules/.bin/buf");
let worker: ModelWorker;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  worker = await startModelWorker();
  gateway = await startGateway([testPool(MODEL_SERVICE, [worker.address])]);
  base = `http://127.0.0.1:${gateway.port}`;
}, 90_000);

afterAll(async () => {
  await gateway?.close(500);
  await worker?.stop();
});

describe("nice-grpc (grpc-js) client", () => {
  it("calls Complete and streams Generate over gRPC", async () => {
    const channel = createChannel(`127.0.0.1:${gateway.port}`);
    try {
      const client = createNiceClient(grpcJsDefinition(ModelService) as never, channel) as unknown as {
        complete(req: object, opts: object): Promise<{ text: string }>;
        generate(req: object, opts: object): AsyncIterable<{ text: string; finishReason: number }>;
      };
      const metadata = Metadata({ "x-agentos-script": SCRIPT });
      expect((await client.complete({ prompt: "hi" }, { metadata })).text).toBe("Hello, world");
      const chunks: string[] = [];
      for await (const r of client.generate({ prompt: "hi" }, { metadata })) chunks.push(r.text);
      expect(chunks.join("")).toBe("Hello, world");
      expect(chunks.length).toBeGreaterThan(1);
    } finally {
      channel.close();
    }
  });
});

describe("Python grpcio client", () => {
  it("calls Complete, streams Generate and gets INVALID_ARGUMENT for a bad request", async () => {
    const r = await run(PY, [join(ROOT, "gateway/test/grpcio_client.py"), `127.0.0.1:${gateway.port}`, SCRIPT], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { complete: string; chunks: string[]; invalid: string };
    expect(out.complete).toBe("Hello, world");
    expect(out.chunks.join("")).toBe("Hello, world");
    expect(out.invalid).toBe("INVALID_ARGUMENT");
  });
});

describe("connect-web transports in Node", () => {
  for (const [name, make] of [
    ["Connect", () => createConnectTransport({ baseUrl: base })],
    ["Connect binary", () => createConnectTransport({ baseUrl: base, useBinaryFormat: true })],
    ["gRPC-Web", () => createGrpcWebTransport({ baseUrl: base })],
  ] as const) {
    it(`calls Complete and streams Generate over ${name}`, async () => {
      const client = createClient(ModelService, make());
      const headers = { "x-agentos-script": SCRIPT };
      expect((await client.complete({ prompt: "hi" }, { headers })).text).toBe("Hello, world");
      const chunks: string[] = [];
      for await (const r of client.generate({ prompt: "hi" }, { headers })) chunks.push(r.text);
      expect(chunks.join("")).toBe("Hello, world");
    });
  }
});

describe("curl (Connect JSON)", () => {
  it("calls Complete with a JSON body", async () => {
    const r = await run("curl", ["-sS", "-H", "content-type: application/json", "-H", `x-agentos-script: ${SCRIPT}`, "-d", '{"prompt":"hi"}', `${base}/agentos.model.v1.ModelService/Complete`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ text: "Hello, world", finishReason: "FINISH_REASON_STOP" });
  });

  it("streams Generate as enveloped JSON (application/connect+json)", async () => {
    const r = await run("bash", ["-c", `printf '\\x00\\x00\\x00\\x00\\x0f{"prompt":"hi"}' | curl -sS --data-binary @- -H 'content-type: application/connect+json' -H 'x-agentos-script: ${SCRIPT}' ${base}/agentos.model.v1.ModelService/Generate | base64 -w0`]);
    expect(r.code, r.stderr).toBe(0);
    const env = jsonEnvelopes(Buffer.from(r.stdout, "base64"));
    const messages = env.filter((e) => e.flags === 0).map((e) => (e.json as { text: string }).text);
    expect(messages.join("")).toBe("Hello, world");
    expect(env.at(-1)).toEqual({ flags: 2, json: {} }); // end of stream, no error
  });

  it("calls a side-effect-free method with GET", async () => {
    const r = await run("curl", ["-sS", `${base}/agentos.model.v1.ModelService/ListModels?encoding=json&message=%7B%7D`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ defaultModel: "scripted" });
  });
});

describe("Connect JSON unary: the relay's conversion against connect-node's", () => {
  // A gzip-compressed request body takes connect-node's decoding path; a plain one the relay's.
  const call = (body: string, compressed: boolean) =>
    fetch(`${base}/agentos.model.v1.ModelService/Complete`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-agentos-script": SCRIPT, ...(compressed ? { "content-encoding": "gzip" } : {}) },
      body: compressed ? gzipSync(body) : body,
    });

  it("answers the same message", async () => {
    const body = '{"prompt":"hi","maxTokens":8,"sampling":{"temperature":0.5}}';
    const [relay, decoded] = [await call(body, false), await call(body, true)];
    expect(relay.status).toBe(200);
    expect(relay.headers.get("content-type")).toBe(decoded.headers.get("content-type"));
    // Everything but the timing, which differs from call to call (its fields are there on both).
    const [a, b] = [(await relay.json()) as Record<string, unknown>, (await decoded.json()) as Record<string, unknown>];
    expect(Object.keys(a.timing as object).sort()).toEqual(Object.keys(b.timing as object).sort());
    expect({ ...a, timing: undefined }).toEqual({ ...b, timing: undefined });
    expect(a).toMatchObject({ text: "Hello, world", finishReason: "FINISH_REASON_STOP" });
  });

  it("rejects a body that is not the request message in JSON with the same invalid_argument", async () => {
    for (const body of ['{"prompt":', '{"prompt":5}', '{"prompt":["a"]}', "[]"]) {
      const [relay, decoded] = [await call(body, false), await call(body, true)];
      expect(relay.status, body).toBe(400);
      const error = await relay.json();
      expect(error, body).toEqual(await decoded.json());
      expect(error, body).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/^cannot decode (message|field) agentos\.model\.v1\.CompleteRequest/) });
    }
  });
});

describe("Connect JSON server streams: the relay's conversion against connect-node's", () => {
  // A compressed request envelope (connect-content-encoding: gzip) takes connect-node's decoding path.
  const stream = (json: string, compressed: boolean) =>
    connectJsonStream(`${base}/agentos.model.v1.ModelService/Generate`, json, { compressed, headers: { "x-agentos-script": SCRIPT } });
  const texts = (env: { flags: number; json: unknown }[]) => env.filter((e) => e.flags === 0).map((e) => (e.json as { text: string }).text);

  it("streams the same messages and end of stream", async () => {
    const [relay, decoded] = [await stream('{"prompt":"hi"}', false), await stream('{"prompt":"hi"}', true)];
    expect(relay.status).toBe(200);
    expect(relay.contentType).toBe(decoded.contentType);
    expect(texts(relay.envelopes).join("")).toBe("Hello, world");
    expect(texts(relay.envelopes)).toEqual(texts(decoded.envelopes));
    // Every message's fields, but the timing that differs from call to call.
    const fields = (env: { flags: number; json: unknown }[]) => env.map((e) => ({ ...(e.json as object), timing: undefined, usage: undefined }));
    expect(fields(relay.envelopes)).toEqual(fields(decoded.envelopes));
    expect(relay.envelopes.at(-1)).toEqual({ flags: 2, json: {} });
  });

  it("ends with the same invalid_argument for a request that is not the message in JSON", async () => {
    for (const body of ['{"prompt":', '{"prompt":5}']) {
      const [relay, decoded] = [await stream(body, false), await stream(body, true)];
      expect(relay.status, body).toBe(200);
      expect(relay.envelopes, body).toEqual(decoded.envelopes);
      expect(relay.envelopes).toHaveLength(1);
      expect(relay.envelopes[0]).toMatchObject({ flags: 2, json: { error: { code: "invalid_argument" } } });
    }
  });
});

describe("buf curl (descriptors from the gateway's reflection)", () => {
  for (const protocol of ["grpc", "grpcweb", "connect"]) {
    it(`calls Complete and streams Generate over ${protocol}`, async () => {
      const args = ["curl", "--protocol", protocol, "--http2-prior-knowledge", "-H", csv(`x-agentos-script: ${SCRIPT}`)];
      const unary = await run(BUF, [...args, "-d", '{"prompt":"hi"}', `${base}/agentos.model.v1.ModelService/Complete`], { timeoutMs: 60_000 });
      expect(unary.code, unary.stderr).toBe(0);
      expect(JSON.parse(unary.stdout)).toMatchObject({ text: "Hello, world" });
      const stream = await run(BUF, [...args, "-d", '{"prompt":"hi"}', `${base}/agentos.model.v1.ModelService/Generate`], { timeoutMs: 60_000 });
      expect(stream.code, stream.stderr).toBe(0);
      const texts = stream.stdout.trim().split(/\n(?=\{)/).map((j) => (JSON.parse(j) as { text?: string }).text ?? "");
      expect(texts.join("")).toBe("Hello, world");
      expect(texts.length).toBeGreaterThan(1);
    });
  }
});

describe("grpcurl (reflection)", () => {
  const grpcurl = join(TOOLS_BIN, "grpcurl");
  it("lists the gateway's services", async () => {
    const r = await run(grpcurl, ["-plaintext", `127.0.0.1:${gateway.port}`, "list"], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")).toEqual(expect.arrayContaining([MODEL_SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]));
  });

  it("calls Complete and streams Generate", async () => {
    const common = ["-plaintext", "-H", `x-agentos-script: ${SCRIPT}`, "-d", '{"prompt":"hi"}', `127.0.0.1:${gateway.port}`];
    const unary = await run(grpcurl, [...common, `${MODEL_SERVICE}/Complete`], { timeoutMs: 30_000 });
    expect(unary.code, unary.stderr).toBe(0);
    expect(JSON.parse(unary.stdout)).toMatchObject({ text: "Hello, world" });
    const stream = await run(grpcurl, [...common, `${MODEL_SERVICE}/Generate`], { timeoutMs: 30_000 });
    expect(stream.code, stream.stderr).toBe(0);
    const texts = stream.stdout.trim().split(/\n(?=\{)/).map((j) => (JSON.parse(j) as { text?: string }).text ?? "");
    expect(texts.join("")).toBe("Hello, world");
  });

  it("describes a message type through reflection", async () => {
    const r = await run(grpcurl, ["-plaintext", `127.0.0.1:${gateway.port}`, "describe", "agentos.model.v1.GenerateRequest"], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("sampling");
  });
});
