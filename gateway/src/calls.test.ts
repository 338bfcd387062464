/**
 * Calls through the gateway behave as direct calls to the worker would: deadlines propagate, a client
 * that cancels stops the model's generation (seen on the worker's metrics), errors keep their code,
 * message and details, sizes are limited with RESOURCE_EXHAUSTED, a worker that dies mid-stream gives
 * the client an error at once, and a restarted worker is used again. Real model worker, scripted backend.
 * The gRPC cases go through the raw relay, the Connect cases through the decoding path.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, createClient } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ModelService } from "../../gen/ts/agentos/model/v1/model_pb.js";
import type { Gateway } from "./server.js";
import { MODEL_SERVICE, startGateway, startModelWorker, testPool, waitFor, waitForMetric } from "../test/mesh.js";
import type { ModelWorker } from "../test/mesh.js";
import { callError } from "../test/call-error.js";

const CANCELLED = 'agentos_model_generations_total{outcome="cancelled"}';
const ACTIVE = "agentos_model_active_generations";
const slow = (n: number, delayMs: number) => ({ "x-agentos-script": JSON.stringify({ tokens: Array.from({ length: n }, (_, i) => `t${i} `), token_delay_ms: delayMs }) });

let worker: ModelWorker;
let gateway: Gateway;
let clients: Record<"grpc" | "connect", Client<typeof ModelService>>;
let direct: Client<typeof ModelService>;

beforeAll(async () => {
  worker = await startModelWorker();
  gateway = await startGateway([testPool(MODEL_SERVICE, [worker.address])], { maxRequestBytes: 64 * 1024 });
  const base = `http://127.0.0.1:${gateway.port}`;
  clients = {
    grpc: createClient(ModelService, createGrpcTransport({ baseUrl: base })),
    connect: createClient(ModelService, createConnectTransport({ baseUrl: base, httpVersion: "1.1" })),
  };
  direct = createClient(ModelService, createGrpcTransport({ baseUrl: `http://${worker.address}` }));
}, 90_000);

afterAll(async () => {
  await gateway?.close(500);
  await worker?.stop();
});

describe.each(["grpc", "connect"] as const)("through %s", (protocol) => {
  it("ends a call past its deadline with DEADLINE_EXCEEDED and the worker stops generating", async () => {
    const client = clients[protocol];
    const t0 = Date.now();
    const err = await callError(
      (async () => {
        for await (const _ of client.generate({ prompt: "hi" }, { headers: slow(200, 50), timeoutMs: 400 })) {
          // reading
        }
      })(),
    );
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitFor(async () => (await worker.metric(ACTIVE)) === 0, "no active generation on the worker");
  });

  it("cancels the worker's generation when the client cancels mid-stream", async () => {
    const before = await worker.metric(CANCELLED);
    const abort = new AbortController();
    let received = 0;
    const err = await callError(
      (async () => {
        for await (const _ of clients[protocol].generate({ prompt: "hi" }, { headers: slow(500, 20), signal: abort.signal })) {
          if (++received === 3) abort.abort();
        }
      })(),
    );
    expect(err.code).toBe(Code.Canceled);
    await waitForMetric(worker, CANCELLED, before + 1);
    await waitFor(async () => (await worker.metric(ACTIVE)) === 0, "no active generation on the worker");
  });

  it("keeps the worker's error code and message", async () => {
    const headers = { "x-agentos-script": JSON.stringify({ tokens: ["a", "b", "c"], error: { code: "FAILED_PRECONDITION", message: "model is warming up", after_tokens: 1 } }) };
    const viaGateway = await callError(clients[protocol].complete({ prompt: "hi" }, { headers }));
    const viaWorker = await callError(direct.complete({ prompt: "hi" }, { headers }));
    expect(viaGateway.code).toBe(Code.FailedPrecondition);
    expect(viaGateway.rawMessage).toBe(viaWorker.rawMessage);
  });

  it("keeps the details of a validation error", async () => {
    const viaGateway = await callError(clients[protocol].complete({}));
    const viaWorker = await callError(direct.complete({}));
    expect(viaGateway.code).toBe(Code.InvalidArgument);
    expect(viaGateway.rawMessage).toBe(viaWorker.rawMessage);
    expect(viaGateway.details.map((d) => ("type" in d ? d.type : d.desc.typeName))).toEqual(viaWorker.details.map((d) => ("type" in d ? d.type : d.desc.typeName)));
  });

  it("rejects a request larger than the limit with RESOURCE_EXHAUSTED", async () => {
    const err = await callError(clients[protocol].complete({ prompt: "x".repeat(100 * 1024) }));
    expect(err.code).toBe(Code.ResourceExhausted);
  });

  it("streams chunk by chunk: the first chunk arrives long before the stream ends", async () => {
    const t0 = Date.now();
    let first = 0;
    let n = 0;
    for await (const _ of clients[protocol].generate({ prompt: "hi" }, { headers: slow(10, 100) })) {
      if (n++ === 0) first = Date.now() - t0;
    }
    const total = Date.now() - t0;
    expect(n).toBeGreaterThan(5);
    expect(first).toBeLessThan(total / 2);
  });
});

describe("worker failure", () => {
  it("fails a stream promptly when its worker dies, then uses the restarted worker", async () => {
    const w = await startModelWorker();
    const g = await startGateway([testPool(MODEL_SERVICE, [w.address])]);
    try {
      const client = createClient(ModelService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${g.port}` }));
      let killedAt = 0;
      const err = await callError(
        (async () => {
          let n = 0;
          for await (const _ of client.generate({ prompt: "hi" }, { headers: slow(1000, 20) })) {
            if (++n === 3) {
              killedAt = Date.now();
              await w.stop("SIGKILL");
            }
          }
        })(),
      );
      expect(err.code).toBe(Code.Unavailable);
      expect(Date.now() - killedAt).toBeLessThan(3000);
      // While it is down: UNAVAILABLE at once, and /readyz says not ready.
      const t0 = Date.now();
      expect((await callError(client.listModels({}))).code).toBe(Code.Unavailable);
      expect(Date.now() - t0).toBeLessThan(1000);
      await waitFor(() => !g.ready(), "the gateway to notice");
      expect((await fetch(`http://127.0.0.1:${g.port}/readyz`)).status).toBe(503);
      // Restart on the same port: health checks put it back.
      const again = await startModelWorker({ port: w.port, metricsPort: w.metricsPort });
      try {
        await g.waitReady(20_000);
        const res = await client.complete({ prompt: "hi" }, { headers: { "x-agentos-script": JSON.stringify({ text: "back again" }) } });
        expect(res.text).toBe("back again");
      } finally {
        await again.stop();
      }
    } finally {
      await g.close(200);
      await w.stop("SIGKILL");
    }
  });
});

describe("gateway endpoints", () => {
  it("serves /healthz, /readyz with pool states, and /metrics per method and replica", async () => {
    const base = `http://127.0.0.1:${gateway.port}`;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok\n");
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { ready: boolean; pools: Record<string, { ready: boolean }> };
    expect(ready.ready).toBe(true);
    expect(ready.pools[MODEL_SERVICE]?.ready).toBe(true);
    await clients.grpc.listModels({});
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/agentos_gateway_calls_total\{service="agentos.model.v1.ModelService",method="ListModels",protocol="grpc",code="OK"\} [1-9]/);
    expect(metrics).toContain(`agentos_gateway_replica_healthy{service="${MODEL_SERVICE}",replica="${worker.address}"} 1`);
    expect(metrics).toContain(`agentos_gateway_replica_breaker_state{service="${MODEL_SERVICE}",replica="${worker.address}"} 0`);
    expect(metrics).toContain("agentos_gateway_call_duration_seconds_bucket");
  });

  it("answers grpc.health.v1 for the gateway and each routed service", async () => {
    const { HealthService } = await import("./descriptors/builtin.js");
    const health = createClient(HealthService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${gateway.port}` })) as unknown as {
      check(req: { service: string }): Promise<{ status: number }>;
    };
    expect((await health.check({ service: "" })).status).toBe(1);
    expect((await health.check({ service: MODEL_SERVICE })).status).toBe(1);
    expect((await callError(health.check({ service: "no.such.Service" }))).code).toBe(Code.NotFound);
  });

  it("answers UNIMPLEMENTED for a service it does not route (DocumentService has no pool here)", async () => {
    const { DocumentService } = await import("../../gen/ts/agentos/document/v1/document_pb.js");
    const base = `http://127.0.0.1:${gateway.port}`;
    for (const transport of [createGrpcTransport({ baseUrl: base }), createConnectTransport({ baseUrl: base, httpVersion: "1.1" })]) {
      const err = await callError(createClient(DocumentService, transport).splitDocuments({}));
      expect(err.code).toBe(Code.Unimplemented);
    }
  });
});
