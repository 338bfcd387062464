/**
 * The life of a pool's connection to a replica: replaced after `maxCallsPerConnection` streams while its
 * calls finish on it, and destroyed when the worker stops answering PINGs without closing TCP (its calls
 * fail with UNAVAILABLE at once, the replica turns unhealthy).
 */
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { create, toBinary } from "@bufbuild/protobuf";
import { GenerateResponseSchema, ListModelsResponseSchema, ModelService } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import type { PoolConfig } from "../config/config.js";
import type { Gateway } from "../server.js";
import { MODEL_SERVICE, startGateway, testPool, waitFor } from "../../test/mesh.js";
import { startRogueWorker, type RogueAnswer, type RogueWorker } from "../../test/rogue-worker.js";

const MODELS = toBinary(ListModelsResponseSchema, create(ListModelsResponseSchema, { defaultModel: "m" }));
const TOKEN = toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { text: "x", tokenCount: 1 }));
/** ListModels at once; Generate as 30 messages 10 ms apart. */
const answer = (path: string): RogueAnswer =>
  path.endsWith("/Generate") ? { messages: Array.from({ length: 30 }, () => TOKEN), spaced: true } : { messages: [MODELS] };

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function setUp(address: (w: RogueWorker) => string | Promise<string>, over: Partial<PoolConfig>) {
  const worker = await startRogueWorker(answer);
  closers.push(() => worker.close());
  const gateway: Gateway = await startGateway([testPool(MODEL_SERVICE, [await address(worker)], over)]);
  closers.push(() => gateway.close(200));
  const client = createClient(ModelService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${gateway.port}` }));
  return { worker, gateway, client, replica: gateway.pools[0]!.replicas[0]! };
}

/** A TCP relay that can stop passing bytes both ways while keeping both connections open. */
async function blackHoleRelay(target: string): Promise<{ address: string; freeze(): void; close(): Promise<void> }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect({ host, port });
    for (const s of [down, up]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    down.on("data", (b) => void (frozen || up.write(b)));
    up.on("data", (b) => void (frozen || down.write(b)));
    down.on("end", () => up.end());
    up.on("end", () => down.end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    freeze: () => void (frozen = true),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe("a replica's connection", () => {
  it("is replaced after maxCallsPerConnection streams, and calls in flight finish on the old one", async () => {
    const { worker, client } = await setUp((w) => w.address, {
      maxCallsPerConnection: 5,
      healthCheck: { intervalMs: 60_000, timeoutMs: 1000, service: "" },
    });
    const first = worker.connections;
    let messages = 0;
    const stream = (async () => {
      for await (const m of client.generate({ prompt: "hi" })) messages += m.tokenCount;
    })();
    for (let i = 0; i < 20; i++) expect((await client.listModels({})).defaultModel).toBe("m");
    await stream; // began on a connection that was replaced while it ran
    expect(messages).toBe(30);
    // The first health check, the stream and 20 calls: 22 streams, at most 5 per connection.
    expect(worker.connections - first).toBeGreaterThanOrEqual(4);
  });

  it("is renewed under a burst of calls, even before it has connected, without failing any", async () => {
    const { worker, client, replica } = await setUp((w) => w.address, {
      maxCallsPerConnection: 1,
      healthCheck: { intervalMs: 60_000, timeoutMs: 1000, service: "" },
    });
    const first = worker.connections;
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => client.listModels({})));
      expect(answers.every((a) => a.defaultModel === "m")).toBe(true);
    }
    expect(replica.healthy).toBe(true);
    expect(replica.breaker.state).toBe("closed");
    expect(worker.connections - first).toBeGreaterThanOrEqual(30);
  });

  it("is destroyed when the worker stops answering PINGs, failing its calls at once", async () => {
    let relay!: Awaited<ReturnType<typeof blackHoleRelay>>;
    const { client, replica } = await setUp(
      async (w) => {
        relay = await blackHoleRelay(w.address);
        closers.push(() => relay.close());
        return relay.address;
      },
      { keepAliveIntervalMs: 100, keepAliveTimeoutMs: 400, healthCheck: { intervalMs: 60_000, timeoutMs: 1000, service: "" } },
    );
    let messages = 0;
    const stream = (async () => {
      for await (const m of client.generate({ prompt: "hi" }, { timeoutMs: 20_000 })) {
        messages += m.tokenCount;
        if (messages === 3) relay.freeze(); // the worker's host vanishes mid-stream: no FIN, no RST
      }
    })();
    const started = Date.now();
    const err = await stream.then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.Unavailable);
    expect(err?.rawMessage).toContain("did not answer an HTTP/2 PING within 400 ms");
    expect(Date.now() - started).toBeLessThan(10_000); // well before the call's own deadline
    await waitFor(() => !replica.healthy, "the replica to turn unhealthy", 5000);
    expect(replica.lastError).toContain("PING");
  });

  it("keeps PINGing a renewed connection while its calls finish on it", async () => {
    let relay!: Awaited<ReturnType<typeof blackHoleRelay>>;
    const { client } = await setUp(
      async (w) => {
        relay = await blackHoleRelay(w.address);
        closers.push(() => relay.close());
        return relay.address;
      },
      {
        maxCallsPerConnection: 2, // the first health check and the stream: the next call renews it
        keepAliveIntervalMs: 100,
        keepAliveTimeoutMs: 400,
        healthCheck: { intervalMs: 60_000, timeoutMs: 1000, service: "" },
      },
    );
    let messages = 0;
    const stream = (async () => {
      for await (const m of client.generate({ prompt: "hi" }, { timeoutMs: 20_000 })) {
        messages += m.tokenCount;
        if (messages === 2) {
          await client.listModels({}); // on a new connection: the stream's is renewed
          relay.freeze(); // then the worker's host vanishes
        }
      }
    })();
    const err = await stream.then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.Unavailable);
    expect(err?.rawMessage).toContain("did not answer an HTTP/2 PING within 400 ms");
  });
});
