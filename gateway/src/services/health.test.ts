/**
 * grpc.health.v1 on a real HTTP/2 server through connect-node, called by a gRPC client: Check, and a
 * Watch that runs for a while holding at most one listener on its call's abort signal, reports a change,
 * and ends when the client cancels.
 */
import { getEventListeners } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { HealthService } from "../descriptors/builtin.js";
import { ServingStatus } from "../pool/health-check.js";
import { registerHealth } from "./health.js";

/** The two methods of grpc.health.v1.Health (its descriptor is built at run time, so untyped). */
interface HealthClient {
  check(req: { service: string }): Promise<{ status: ServingStatus }>;
  watch(req: { service: string }, opts: { signal: AbortSignal }): AsyncIterable<{ status: ServingStatus }>;
}

/** What the server saw of each Watch call: its signal, and when its handler finished. */
interface WatchCall {
  signal: AbortSignal;
  ended: Promise<void>;
}

let server: http2.Http2Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/**
 * Serves registerHealth over `source`, through a router that records each Watch call's signal and the
 * end of its handler (the handler itself is the one registerHealth registered).
 */
async function start(source: { status(service: string): ServingStatus | undefined }, watchIntervalMs: number) {
  const calls: WatchCall[] = [];
  const adapter = connectNodeAdapter({
    routes(router) {
      const recording = {
        rpc(method: { name: string }, impl: (req: unknown, ctx: HandlerContext) => unknown) {
          if (method.name !== "Watch") return router.rpc(method as never, impl as never);
          return router.rpc(method as never, (async function* (req: unknown, ctx: HandlerContext) {
            let end!: () => void;
            calls.push({ signal: ctx.signal, ended: new Promise<void>((ok) => (end = ok)) });
            try {
              yield* impl(req, ctx) as AsyncIterable<unknown>;
            } finally {
              end();
            }
          }) as never);
        },
      };
      registerHealth(recording as unknown as ConnectRouter, source, watchIntervalMs);
    },
  });
  server = http2.createServer(adapter);
  await new Promise<void>((ok) => server!.listen(0, "127.0.0.1", ok));
  const client = createClient(HealthService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })) as unknown as HealthClient;
  return { client, calls };
}

describe("registerHealth", () => {
  it("answers Check with the status, NOT_FOUND for an unknown service", async () => {
    const { client } = await start({ status: (s) => (s === "" ? ServingStatus.SERVING : undefined) }, 20);
    expect((await client.check({ service: "" })).status).toBe(ServingStatus.SERVING);
    const err = await client.check({ service: "nope" }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.NotFound);
  });

  it("keeps at most one abort listener however long a Watch runs, reports changes, and ends when the client cancels", async () => {
    let status = ServingStatus.SERVING;
    /** Listeners on the call's signal each time the status is read, i.e. once per round. */
    const listeners: number[] = [];
    let calls: WatchCall[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      const started = await start({
        status() {
          const call = calls[0];
          if (call !== undefined) listeners.push(getEventListeners(call.signal, "abort").length);
          return status;
        },
      }, 10);
      calls = started.calls;
      const abort = new AbortController();
      const seen: ServingStatus[] = [];
      const watching = (async () => {
        for await (const r of started.client.watch({ service: "" }, { signal: abort.signal })) seen.push(r.status);
      })().catch((e: unknown) => ConnectError.from(e));

      // Long enough for 100+ rounds: a listener per round would be far past Node's warning at 10.
      const until = Date.now() + 2500;
      while (Date.now() < until || listeners.length < 100) await new Promise((r) => setTimeout(r, 50));
      status = ServingStatus.NOT_SERVING;
      const changedBy = Date.now() + 10_000;
      while (seen.length < 2 && Date.now() < changedBy) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);

      expect(listeners.length).toBeGreaterThanOrEqual(100);
      // Ours is added after the status is read and gone by the next read: the count never grows.
      expect(Math.max(...listeners) - listeners[0]!).toBeLessThanOrEqual(1);
      expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);

      abort.abort();
      const err = await watching;
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.Canceled);
      // The server's handler ends too, and stops reading the status.
      await Promise.race([calls[0]!.ended, new Promise((_, fail) => setTimeout(() => fail(new Error("Watch handler still running 10 s after cancel")), 10_000))]);
      const reads = listeners.length;
      await new Promise((r) => setTimeout(r, 200));
      expect(listeners.length).toBe(reads);
    } finally {
      process.off("warning", onWarning);
    }
  }, 30_000);
});
