/**
 * End to end: the real model worker (`python -m workers.model --backend scripted`, a separate process) behind
 * the real gateway (`build()` on an ephemeral port) with the REST handler plugged in as its HTTP handler.
 * The same methods over REST, Connect and gRPC return the same data; token streams arrive event by event;
 * a worker error mid-stream becomes the terminal event; a REST client that goes away cancels the generation
 * on the worker (its `agentos_model_generations_total{outcome="cancelled"}` counter moves).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import {
  CompleteResponseSchema,
  GenerateResponseSchema,
  ListModelsResponseSchema,
  ModelService,
} from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { defaultConfig } from "../config/config.js";
import { build, type Gateway } from "../server.js";
import { freePort, PY, startProcess, waitFor, type Proc } from "../../test/harness.js";
import { testPool } from "../../test/mesh.js";
import { createRestHandler } from "./index.js";
import { openStream, parseSse, postJson, request } from "./testing/http-client.js";

let worker: Proc;
let metricsPort: number;
let gateway: Gateway;
let base: string;
let connect: Client<typeof ModelService>;
let grpc: Client<typeof ModelService>;

const script = (s: unknown) => ({ "x-agentos-script": JSON.stringify(s) });
const restScript = (s: unknown) => ({ "grpc-metadata-x-agentos-script": JSON.stringify(s) });

beforeAll(async () => {
  const port = await freePort();
  metricsPort = await freePort();
  worker = startProcess(PY, ["-m", "workers.model", "--backend", "scripted", "--host", "127.0.0.1", "--port", String(port), "--metrics-port", String(metricsPort)]);
  const pool = testPool("agentos.model.v1.ModelService", [`127.0.0.1:${port}`], {
    ejection: { consecutiveFailures: 3, baseMs: 1000, maxMs: 30_000 },
    retry: { maxAttempts: 2, budgetPercent: 20, minPerSecond: 5 },
    keepAliveIntervalMs: 30_000,
  });
  gateway = await build({
    config: { ...defaultConfig(), host: "127.0.0.1", port: 0, pools: [pool] },
    httpHandlers: (g) => [createRestHandler({ services: g.services, transport: g.transportFor("rest") })],
  });
  await gateway.waitReady(60_000).catch((err: unknown) => {
    throw new Error(`${String(err)}\nworker output:\n${worker.output()}`);
  });
  base = `http://127.0.0.1:${gateway.port}`;
  connect = createClient(ModelService, createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
  grpc = createClient(ModelService, createGrpcTransport({ baseUrl: base }));
}, 90_000);

afterAll(async () => {
  await gateway?.close(1000);
  await worker?.stop();
});

/** Drops `timing` (measured per call) so messages of separate calls compare equal. */
function withoutTiming(json: JsonValue): JsonValue {
  const { timing: _t, ...rest } = json as Record<string, JsonValue>;
  return rest;
}

async function cancelledCount(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = /^agentos_model_generations_total\{outcome="cancelled"\} ([0-9.e+]+)$/m.exec(text);
  if (!m) throw new Error(`no cancelled counter in worker metrics:\n${text.slice(0, 2000)}`);
  return Number(m[1]);
}

describe("the same method over REST, Connect and gRPC", () => {
  it("ListModels returns the same data", async () => {
    const rest = await request(base, { path: "/v1/models" });
    expect(rest.status).toBe(200);
    expect(rest.json).toEqual(toJson(ListModelsResponseSchema, await connect.listModels({})));
    expect(rest.json).toEqual(toJson(ListModelsResponseSchema, await grpc.listModels({})));
    expect((rest.json as { models: { id: string }[] }).models[0]?.id).toBe("scripted");
  });

  it("Complete returns the same data", async () => {
    const s = { text: "Hello, world", prompt_tokens: 3 };
    const rest = await postJson(base, "/v1/complete", { prompt: "hi" }, restScript(s));
    expect(rest.status).toBe(200);
    const viaConnect = toJson(CompleteResponseSchema, await connect.complete({ prompt: "hi" }, { headers: script(s) }));
    const viaGrpc = toJson(CompleteResponseSchema, await grpc.complete({ prompt: "hi" }, { headers: script(s) }));
    expect(withoutTiming(rest.json as JsonValue)).toEqual(withoutTiming(viaConnect));
    expect(withoutTiming(rest.json as JsonValue)).toEqual(withoutTiming(viaGrpc));
    expect((rest.json as { text: string }).text).toBe("Hello, world");
  });

  it("Generate streams the same messages", async () => {
    const s = { tokens: ["Hel", "lo", ",", " world"], prompt_tokens: 2 };
    const body = { prompt: "hi", stream: { maxTokensPerChunk: 1 } };
    const ndjson = await postJson(base, "/v1/generate", body, restScript(s));
    const viaRest = ndjson.text
      .trim()
      .split("\n")
      .map((l) => withoutTiming((JSON.parse(l) as { result: JsonValue }).result));
    const collect = async (client: Client<typeof ModelService>) => {
      const out: JsonValue[] = [];
      for await (const m of client.generate(body, { headers: script(s) })) out.push(withoutTiming(toJson(GenerateResponseSchema, m)));
      return out;
    };
    expect(viaRest).toEqual(await collect(connect));
    expect(viaRest).toEqual(await collect(grpc));
    expect(viaRest.map((m) => (m as { text?: string }).text ?? "").join("")).toBe("Hello, world");
  });
});

describe("token streams from the model worker", () => {
  it("delivers the first SSE event before the generation ends", async () => {
    const s = await openStream(base, {
      method: "POST",
      path: "/v1/models/scripted:generate",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...restScript({ tokens: ["a", "b", "c", "d", "e", "f"], token_delay_ms: 300 }) },
      body: JSON.stringify({ prompt: "hi", stream: { maxTokensPerChunk: 1 } }),
    });
    expect(s.status).toBe(200);
    const first = await s.readUntil((t) => t.includes("\n\n") && t.includes("data: "));
    expect(first).not.toContain("event: end");
    const { events } = parseSse(await s.rest());
    expect(events.at(-1)).toEqual({ event: "end", data: "{}" });
    expect(events.slice(0, -1).map((e) => (JSON.parse(e.data) as { text?: string }).text ?? "").join("")).toBe("abcdef");
  });

  it("ends the stream with an error event when the worker fails mid-stream", async () => {
    const s = await openStream(base, {
      method: "POST",
      path: "/v1/generate",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...restScript({ tokens: ["a", "b", "c"], error: { code: "UNAVAILABLE", message: "backend went away", after_tokens: 2 } }) },
      body: JSON.stringify({ prompt: "hi", stream: { maxTokensPerChunk: 1 } }),
    });
    expect(s.status).toBe(200);
    const { events } = parseSse(await s.rest());
    const last = events.at(-1);
    expect(last?.event).toBe("error");
    expect(JSON.parse(last?.data ?? "{}")).toMatchObject({ code: 14, message: "backend went away" });
    expect(events.filter((e) => e.event === "message").map((e) => (JSON.parse(e.data) as { text?: string }).text).join("")).toBe("ab");
  });

  it("answers a request the worker rejects with a 400 Status", async () => {
    const r = await postJson(base, "/v1/generate", { prompt: "hi", messages: [{ role: "CHAT_ROLE_USER", content: "both" }] });
    expect(r.status).toBe(400);
    expect((r.json as { code: number }).code).toBe(3);
  });

  it("renders the worker's google.rpc.BadRequest detail as JSON", async () => {
    const r = await postJson(base, "/v1/complete", { prompt: "hi", sampling: { temperature: 5 } });
    expect(r.status).toBe(400);
    const details = (r.json as { details: Record<string, unknown>[] }).details;
    const badRequest = details.find((d) => d["@type"] === "type.googleapis.com/google.rpc.BadRequest");
    expect(badRequest, JSON.stringify(details)).toBeDefined();
    expect(badRequest?.["fieldViolations"]).toEqual([
      expect.objectContaining({ field: "sampling.temperature", description: expect.stringContaining("2") }),
    ]);
  });

  it("cancels the generation on the worker when the REST client goes away", async () => {
    const before = await cancelledCount();
    const s = await openStream(base, {
      method: "POST",
      path: "/v1/generate",
      headers: { "content-type": "application/json", ...restScript({ tokens: Array.from({ length: 200 }, (_, i) => `t${i} `), token_delay_ms: 100 }) },
      body: JSON.stringify({ prompt: "hi", stream: { maxTokensPerChunk: 1 } }),
    });
    await s.readUntil((t) => t.includes("t0"));
    s.destroy();
    await waitFor(async () => (await cancelledCount()) === before + 1, "the worker to count a cancelled generation", 20_000, 100);
    expect(await cancelledCount()).toBe(before + 1);
  });
});

describe("the OpenAPI document on the gateway", () => {
  it("is served at /openapi.json with the routed services only", async () => {
    const r = await request(base, { path: "/openapi.json" });
    expect(r.status).toBe(200);
    const doc = r.json as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(["/v1/complete", "/v1/generate", "/v1/models", "/v1/models/{model}:classify", "/v1/models/{model}:complete", "/v1/models/{model}:generate"]);
  });
});
