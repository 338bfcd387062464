/**
 * Two replicas of the model worker behind one pool: calls spread over both (least outstanding
 * requests), and killing one moves every call to the other with no failed unary call beyond those in
 * flight at that moment (connection failures are retried on the other replica; the dead one is ejected).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ModelService } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import type { Gateway } from "../server.js";
import { MODEL_SERVICE, startGateway, startModelWorker, testPool } from "../../test/mesh.js";
import type { ModelWorker } from "../../test/mesh.js";

const COMPLETED = 'agentos_model_generations_total{outcome="completed"}';
let a: ModelWorker;
let b: ModelWorker;
let gateway: Gateway;

beforeAll(async () => {
  [a, b] = await Promise.all([startModelWorker(), startModelWorker()]);
  gateway = await startGateway([testPool(MODEL_SERVICE, [a.address, b.address])]);
  await new Promise((r) => setTimeout(r, 500)); // both replicas through their first health check
}, 90_000);

afterAll(async () => {
  await gateway?.close(500);
  await a?.stop("SIGKILL");
  await b?.stop("SIGKILL");
});

describe("a pool of two replicas", () => {
  it("spreads calls over both replicas", async () => {
    const client = createClient(ModelService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${gateway.port}` }));
    const [a0, b0] = [await a.metric(COMPLETED), await b.metric(COMPLETED)];
    const headers = { "x-agentos-script": JSON.stringify({ tokens: ["x"], token_delay_ms: 5 }) };
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 5; i++) await client.complete({ prompt: "hi" }, { headers });
    }));
    const [da, db] = [(await a.metric(COMPLETED)) - a0, (await b.metric(COMPLETED)) - b0];
    expect(da + db).toBe(40);
    expect(da).toBeGreaterThanOrEqual(8);
    expect(db).toBeGreaterThanOrEqual(8);
  });

  it("moves all traffic to the survivor when a replica dies, failing only calls in flight", async () => {
    const client = createClient(ModelService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${gateway.port}` }));
    const headers = { "x-agentos-script": JSON.stringify({ tokens: ["x", "y"], token_delay_ms: 10 }) };
    const concurrency = 4;
    let ok = 0;
    let failed = 0;
    let stop = false;
    const loops = Array.from({ length: concurrency }, async () => {
      while (!stop) {
        try {
          await client.complete({ prompt: "hi" }, { headers, timeoutMs: 10_000 });
          ok++;
        } catch {
          failed++;
        }
      }
    });
    await new Promise((r) => setTimeout(r, 500));
    const okBeforeKill = ok;
    await a.stop("SIGKILL");
    const bBefore = await b.metric(COMPLETED);
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(loops);
    expect(okBeforeKill).toBeGreaterThan(0);
    expect(failed).toBeLessThanOrEqual(concurrency); // at most the calls that were on the dead replica
    expect(ok - okBeforeKill).toBeGreaterThan(10); // traffic went on
    expect((await b.metric(COMPLETED)) - bBefore).toBeGreaterThan(10); // ... on the survivor
    const replica = gateway.pools[0]!.replicas.find((r) => r.address === a.address)!;
    expect(replica.healthy).toBe(false);
  });
});
