/**
 * Bytes on the wire per call, measured in an untimed pass: a counting relay in front of the first hop
 * (client side) and the kernel's per-connection counters on the gateway's pooled connections to the
 * worker (upstream side).
 */
import type { WireBytes } from "./measurement.js";
import { unaryHeaders, type Payload, type Protocol } from "./payloads.js";
import { startRelay } from "./relay.js";
import { bytesBetween, socketBytes } from "./sockets.js";
import { h2load } from "./tools/h2load.js";
import { tokenClient, type StreamProtocol } from "./tools/token-client.js";
import { STREAM } from "./payloads.js";

/** A hop to count: the first hop's address, and the worker's port when a gateway sits in between. */
export interface WireTarget {
  workload: string;
  variant: string;
  target: string;
  /** Port of the worker behind the gateway; absent for direct calls. */
  workerPort?: number;
}

async function counted<T>(w: WireTarget, send: (target: string) => Promise<T>, calls: (r: T) => number): Promise<WireBytes> {
  const relay = await startRelay(w.target);
  try {
    const before = w.workerPort ? await socketBytes(w.workerPort) : undefined;
    const result = await send(`127.0.0.1:${relay.port}`);
    const after = w.workerPort ? await socketBytes(w.workerPort) : undefined;
    const n = calls(result);
    const c = relay.read();
    const out: WireBytes = { workload: w.workload, variant: w.variant, calls: n, client: { request: c.up / n, response: c.down / n } };
    if (before && after) {
      const u = bytesBetween(before, after);
      out.upstream = { request: u.sent / n, response: u.received / n };
    }
    return out;
  } finally {
    await relay.close();
  }
}

/** Counts the bytes of `calls` unary calls (4 connections, reused, as in the timed runs). */
export async function unaryWire(w: WireTarget, protocol: Protocol, http: "h1" | "h2c", payload: Payload, calls: number): Promise<WireBytes> {
  return counted(
    w,
    (target) =>
      h2load({
        url: `http://${target}${protocol === "http-json" ? payload.restPath : payload.method}`,
        body: payload.body[protocol],
        headers: unaryHeaders(protocol),
        h1: http === "h1",
        connections: 4,
        streamsPerConnection: 4,
        durationS: 0,
        warmupS: 0,
        requests: calls,
      }),
    (r) => r.succeeded,
  );
}

/** Counts the bytes of `streams` token streams (per stream; divide by the token count for per token). */
export async function streamWire(w: WireTarget, protocol: StreamProtocol, rate: number, streams: number): Promise<WireBytes> {
  return counted(
    w,
    (target) =>
      tokenClient({ protocol, target, streams, concurrency: Math.min(4, streams), connections: 1, maxTokens: STREAM.maxTokens, prompt: STREAM.prompt, rate, timelines: 0 }),
    (r) => r.streams_ok,
  );
}
