/**
 * Retries and ejection as a client sees them: a retry goes to another replica when there is one, and
 * when there is none the client gets the worker's own answer (its status and message, or the transport
 * failure), never "no healthy replica" while a replica that passes its health checks answered the call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { create, toBinary } from "@bufbuild/protobuf";
import { GenerateResponseSchema, ListModelsResponseSchema, ModelService } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import type { PoolConfig } from "../config/config.js";
import type { Gateway } from "../server.js";
import { MODEL_SERVICE, startGateway, testPool } from "../../test/mesh.js";
import { startRogueWorker, type RogueAnswer, type RogueWorker } from "../../test/rogue-worker.js";
import { callError } from "../../test/call-error.js";

const { NGHTTP2_INTERNAL_ERROR } = (await import("node:http2")).constants;

const MODELS = toBinary(ListModelsResponseSchema, create(ListModelsResponseSchema, { defaultModel: "m" }));
const DOWN: RogueAnswer = { messages: [], trailersOnly: true, status: { code: Code.Unavailable, message: "the model's upstream is down" } };
const RESET: RogueAnswer = { messages: [], reset: NGHTTP2_INTERNAL_ERROR };
const OK: RogueAnswer = { messages: [MODELS] };

const workers: RogueWorker[] = [];
const gateways: Gateway[] = [];

async function rogue(answer: RogueAnswer | ((path: string) => RogueAnswer)): Promise<RogueWorker> {
  const w = await startRogueWorker(typeof answer === "function" ? answer : () => answer);
  workers.push(w);
  return w;
}

async function client(addresses: string[], over: Partial<PoolConfig> = {}) {
  const gateway = await startGateway([testPool(MODEL_SERVICE, addresses, over)]);
  gateways.push(gateway);
  return createClient(ModelService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${gateway.port}` }));
}

let down: RogueWorker;
let reset: RogueWorker;
let ok: RogueWorker;

beforeAll(async () => {
  [down, reset, ok] = await Promise.all([rogue(DOWN), rogue(RESET), rogue(OK)]);
}, 30_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close(200)));
  await Promise.all(workers.map((w) => w.close()));
});

describe("retries of idempotent calls", () => {
  it("go to the other replica when one answers UNAVAILABLE", async () => {
    const c = await client([down.address, ok.address]);
    const before = down.calls.length;
    for (let i = 0; i < 8; i++) expect((await c.listModels({})).defaultModel).toBe("m");
    expect(down.calls.length - before).toBeGreaterThan(0); // some calls went there first, then moved on
  });

  it("give the client the worker's own UNAVAILABLE when no other replica is left", async () => {
    const c = await client([down.address]);
    const before = down.calls.length;
    const err = await callError(c.listModels({}));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toBe("the model's upstream is down");
    expect(down.calls.length - before).toBe(1); // not retried on the same replica
  });

  it("give the client the transport failure when no other replica is left", async () => {
    const c = await client([reset.address]);
    const err = await callError(c.listModels({}));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toContain(`replica ${reset.address} failed`);
    expect(err.rawMessage).not.toContain("no healthy replica");
  });
});

describe("ejection", () => {
  it("never leaves a pool whose replicas pass their health checks without a replica to call", async () => {
    const c = await client([reset.address], { ejection: { consecutiveFailures: 3, baseMs: 60_000, maxMs: 60_000 } });
    const replica = gateways.at(-1)!.pools[0]!.replicas[0]!;
    const before = reset.calls.length;
    for (let i = 0; i < 6; i++) {
      const err = await callError(c.listModels({}));
      expect(err.rawMessage).toContain(`replica ${reset.address} failed`);
    }
    expect(replica.breaker.state).toBe("open"); // ejected after 3 failures in a row...
    expect(reset.calls.length - before).toBe(6); // ... and still called: it is the only replica there is
  });

  it("moves calls to the replicas that are not ejected", async () => {
    const c = await client([reset.address, ok.address], { ejection: { consecutiveFailures: 3, baseMs: 60_000, maxMs: 60_000 } });
    const [ejected] = gateways.at(-1)!.pools[0]!.replicas;
    for (let i = 0; i < 12; i++) expect((await c.listModels({})).defaultModel).toBe("m"); // retried on the other
    expect(ejected!.breaker.state).toBe("open");
    const before = reset.calls.length;
    for (let i = 0; i < 6; i++) await c.listModels({});
    expect(reset.calls.length).toBe(before);
  });
});

describe("calls that reached a worker", () => {
  it("are not replayed when the worker dies with them, even on a fresh connection", async () => {
    const dies = await rogue({ messages: [], drop: true });
    const token = toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { text: "x", tokenCount: 1 }));
    const ok = await rogue({ messages: [token] });
    // One stream per connection: every call is the first on its connection.
    const c = await client([dies.address, ok.address], { maxCallsPerConnection: 1 });
    let failed = 0;
    for (let i = 0; i < 6; i++) {
      const before = dies.calls.length + ok.calls.length;
      try {
        for await (const _ of c.generate({ prompt: "hi" })) void _;
      } catch (e) {
        expect(ConnectError.from(e).code).toBe(Code.Unavailable);
        failed++;
      }
      expect(dies.calls.length + ok.calls.length - before).toBe(1); // Generate is not idempotent: run once
    }
    expect(failed).toBeGreaterThan(0);
  });
});
