import { Code, ConnectError, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { describeError } from "./errors.js";
import { createReachabilityInterceptor } from "./reachability.js";

const baseUrl = "http://127.0.0.1:8080";

/** A stream that yields `before` messages, then fails as reading a fetch body does: with `fail`. */
async function* failingStream(before: number, fail: unknown): AsyncGenerator<{ text: string }> {
  for (let i = 0; i < before; i++) yield { text: `token ${i}` };
  throw fail;
}

/** Runs one streaming call through the interceptor; returns the messages read and the error it ended with. */
async function readThrough(fail: unknown, signal = new AbortController().signal): Promise<{ read: number; error: unknown }> {
  const interceptor = createReachabilityInterceptor(baseUrl);
  const req = { stream: true, signal } as unknown as StreamRequest;
  const call = interceptor(async () => ({ stream: true, message: failingStream(2, fail) }) as unknown as StreamResponse);
  const res = (await call(req)) as StreamResponse;
  let read = 0;
  try {
    for await (const _ of res.message) read++;
  } catch (error) {
    return { read, error };
  }
  return { read, error: undefined };
}

describe("createReachabilityInterceptor", () => {
  it("turns a request that never reached the gateway into UNAVAILABLE", async () => {
    const interceptor = createReachabilityInterceptor(baseUrl);
    const call = interceptor(async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = await call({ stream: false, signal: new AbortController().signal } as never).catch((e: unknown) => e);
    expect(describeError(err).code).toBe("UNAVAILABLE");
    expect(describeError(err).message).toContain("cannot reach the gateway at http://127.0.0.1:8080 (Failed to fetch)");
  });

  it("turns a connection lost while reading a stream into UNAVAILABLE, after the messages that arrived", async () => {
    const { read, error } = await readThrough(new TypeError("network error"));
    expect(read).toBe(2);
    expect(describeError(error)).toEqual({
      code: "UNAVAILABLE",
      message: "lost the connection to the gateway at http://127.0.0.1:8080 during the stream (network error)",
    });
  });

  it("leaves the server's own errors and cancels alone", async () => {
    const own = new ConnectError("no such model", Code.NotFound);
    expect((await readThrough(own)).error).toBe(own);
    const ctl = new AbortController();
    ctl.abort();
    const lost = new TypeError("network error");
    expect((await readThrough(lost, ctl.signal)).error).toBe(lost);
  });
});
