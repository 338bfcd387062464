/**
 * Server streams over REST against a real gRPC upstream whose streams are scripted per test: events arrive
 * one by one (the first before the stream ends), errors end the stream with a terminal event, a client that
 * goes away cancels the upstream call, heartbeats keep idle SSE streams alive, and a slow client holds the
 * upstream back instead of being buffered for.
 */
import http2 from "node:http2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { framingFor } from "./event-stream.js";
import { contractServices, scriptedContracts, type StreamScripts } from "./testing/contract-services.js";
import { Recorder, type RecordedCall } from "./testing/recorder.js";
import { grpcTransportTo, startRest, startUpstream, type Started } from "./testing/servers.js";
import { openStream, parseSse, request, type OpenStream } from "./testing/http-client.js";

const recorder = new Recorder();
const scripts: StreamScripts = {};
let upstream: Started;
let rest: Started;
let restH2: Started;

beforeAll(async () => {
  upstream = await startUpstream(scriptedContracts(recorder, scripts));
  const options = { services: contractServices, transport: grpcTransportTo(upstream), heartbeatMs: 100 };
  rest = await startRest(options);
  restH2 = await startRest(options, { http2: true });
});
afterAll(async () => {
  await rest.close();
  await restH2.close();
  await upstream.close();
});
beforeEach(() => {
  recorder.clear();
  delete scripts.generate;
  delete scripts.watchJob;
  delete scripts.beforeComplete;
});

function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

const generate = (accept?: string) => ({
  method: "POST",
  path: "/v1/generate",
  headers: { "content-type": "application/json", ...(accept ? { accept } : {}) },
  body: JSON.stringify({ prompt: "p" }),
});

describe("framingFor", () => {
  it.each([
    ["text/event-stream", "sse"],
    ["application/json, text/event-stream;q=0.9", "sse"],
    ["*/*", "ndjson"],
    ["application/x-ndjson", "ndjson"],
    [undefined, "ndjson"],
  ] as const)("chooses %s → %s", (accept, framing) => {
    expect(framingFor(accept)).toBe(framing);
  });
});

describe("chunk-by-chunk delivery", () => {
  it.each(["sse", "ndjson"] as const)("delivers the first %s event while the upstream still holds the rest", async (framing) => {
    const release = gate();
    scripts.generate = async function* () {
      yield { text: "first", tokenCount: 1 };
      await release.opened;
      yield { text: "second", tokenCount: 1 };
    };
    const s = await openStream(rest.url, generate(framing === "sse" ? "text/event-stream" : undefined));
    expect(s.status).toBe(200);
    const first = framing === "sse" ? 'data: {"text":"first","tokenCount":1}\n\n' : '{"result":{"text":"first","tokenCount":1}}\n';
    const secondLine = framing === "sse" ? 'data: {"text":"second","tokenCount":1}\n\n' : '{"result":{"text":"second","tokenCount":1}}\n';
    expect(await within(s.readUntil((t) => t.includes(first)), 10_000, "the first event")).not.toContain("second");
    release.open();
    const all = await s.rest();
    expect(all.replace(/: keep-alive\n\n/g, "")).toBe(first + secondLine + (framing === "sse" ? "event: end\ndata: {}\n\n" : ""));
  });

  it("delivers events one by one over HTTP/2 (h2c) too", async () => {
    const release = gate();
    scripts.generate = async function* () {
      yield { text: "first" };
      await release.opened;
      yield { text: "second" };
    };
    const client = http2.connect(restH2.url);
    try {
      const stream = client.request({ ":method": "POST", ":path": "/v1/generate", "content-type": "application/json", accept: "text/event-stream" });
      stream.end(JSON.stringify({ prompt: "p" }));
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.on("response", resolve));
      expect(headers[":status"]).toBe(200);
      expect(headers["content-type"]).toBe("text/event-stream; charset=utf-8");
      stream.setEncoding("utf8");
      let text = "";
      await within(
        new Promise<void>((resolve) =>
          stream.on("data", (c: string) => {
            text += c;
            if (text.includes('"first"')) resolve();
          }),
        ),
        10_000,
        "the first event over h2c",
      );
      expect(text).not.toContain("second");
      release.open();
      await new Promise<void>((resolve) => stream.on("end", resolve));
      expect(parseSse(text).events).toEqual([
        { event: "message", data: '{"text":"first"}' },
        { event: "message", data: '{"text":"second"}' },
        { event: "end", data: "{}" },
      ]);
    } finally {
      client.close();
    }
  });
});

describe("terminal errors", () => {
  beforeEach(() => {
    scripts.generate = async function* () {
      yield { text: "partial" };
      throw new ConnectError("worker overloaded", Code.ResourceExhausted);
    };
  });

  it("ends an SSE stream with an error event carrying google.rpc.Status", async () => {
    const s = await openStream(rest.url, generate("text/event-stream"));
    expect(s.status).toBe(200);
    expect(await s.rest()).toBe(
      'data: {"text":"partial"}\n\nevent: error\ndata: {"code":8,"message":"worker overloaded","details":[]}\n\n',
    );
  });

  it("ends an NDJSON stream with an error line", async () => {
    const s = await openStream(rest.url, generate());
    expect(await s.rest()).toBe('{"result":{"text":"partial"}}\n{"error":{"code":8,"message":"worker overloaded","details":[]}}\n');
  });

  it("answers with an HTTP status when the upstream fails before the stream starts", async () => {
    scripts.generate = async function* () {
      yield* [];
      throw new ConnectError("prompt is empty", Code.InvalidArgument);
    };
    const r = await request(rest.url, generate("text/event-stream"));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 3, message: "prompt is empty", details: [] });
  });
});

describe("cancellation", () => {
  async function holdOpen(): Promise<void> {
    scripts.generate = async function* (_req, ctx) {
      yield { text: "first" };
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
    };
  }

  async function expectCancelled(call: RecordedCall) {
    await within(call.cancelled, 10_000, "the upstream to see the cancellation");
    expect(call.isCancelled()).toBe(true);
  }

  it.each(["text/event-stream", undefined])("cancels the upstream stream when the client goes away (Accept: %s)", async (accept) => {
    await holdOpen();
    const s: OpenStream = await openStream(rest.url, generate(accept));
    await within(s.readUntil((t) => t.includes("first")), 10_000, "the first event");
    const call = recorder.only();
    expect(call.isCancelled()).toBe(false);
    s.destroy();
    await expectCancelled(call);
  });

  it("cancels the upstream stream when a message cannot be written as JSON, after an error event", async () => {
    scripts.generate = async function* (_req, ctx) {
      yield { text: "first" };
      // A Duration beyond protobuf JSON's ±315,576,000,000 s: toJson throws on it.
      yield { text: "bad", timing: { queueTime: { seconds: 400_000_000_000n } } };
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
    };
    const s = await openStream(rest.url, generate("text/event-stream"));
    const body = await within(s.rest(), 10_000, "the stream to end");
    expect(body).toMatch(/^data: \{"text":"first"\}\n\nevent: error\ndata: \{"code":2,/);
    await expectCancelled(recorder.only());
  });

  it("cancels the upstream stream when an HTTP/2 client resets the stream", async () => {
    await holdOpen();
    const client = http2.connect(restH2.url);
    try {
      const stream = client.request({ ":method": "POST", ":path": "/v1/generate", "content-type": "application/json" });
      stream.end(JSON.stringify({ prompt: "p" }));
      await within(new Promise<void>((resolve) => stream.once("data", () => resolve())), 10_000, "the first line");
      const call = recorder.only();
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await expectCancelled(call);
    } finally {
      client.close();
    }
  });

  it("cancels a unary call when the client goes away", async () => {
    const started = gate();
    scripts.beforeComplete = async (_req, ctx) => {
      started.open();
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
    };
    const s = openStream(rest.url, { method: "POST", path: "/v1/complete", headers: { "content-type": "application/json" }, body: '{"prompt":"x"}' });
    s.catch(() => undefined);
    await within(started.opened, 10_000, "the upstream call");
    const call = recorder.only();
    // Drop the TCP connection before any response: find the socket through a fresh request is not possible,
    // so close every connection of the REST server.
    await rest.close();
    await expectCancelled(call);
    rest = await startRest({ services: contractServices, transport: grpcTransportTo(upstream), heartbeatMs: 100 });
  });
});

describe("heartbeats", () => {
  it("sends keep-alive comments on an idle SSE stream, even before the upstream answers", async () => {
    const release = gate();
    scripts.generate = async function* () {
      await release.opened;
      yield { text: "late" };
    };
    const s = await within(openStream(rest.url, generate("text/event-stream")), 10_000, "the response headers");
    expect(s.status).toBe(200);
    expect(s.headers["x-accel-buffering"]).toBe("no");
    await within(s.readUntil((t) => t.includes(": keep-alive")), 10_000, "a heartbeat");
    release.open();
    const { events, comments } = parseSse(await s.rest());
    expect(comments).toBeGreaterThanOrEqual(1);
    expect(events).toEqual([
      { event: "message", data: '{"text":"late"}' },
      { event: "end", data: "{}" },
    ]);
  });

  it("sends no heartbeats in NDJSON (every line stays JSON)", async () => {
    const release = gate();
    scripts.generate = async function* () {
      yield { text: "a" };
      await release.opened;
      yield { text: "b" };
    };
    const s = await openStream(rest.url, generate());
    await s.readUntil((t) => t.includes('"a"'));
    await new Promise((resolve) => setTimeout(resolve, 350));
    release.open();
    const lines = (await s.rest()).trim().split("\n");
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ result: { text: "a" } }, { result: { text: "b" } }]);
  });
});

describe("backpressure", () => {
  it("stops pulling from the upstream while the client does not read, then delivers everything", async () => {
    const total = 2000;
    let produced = 0;
    let pulled = 0;
    const chunk = "x".repeat(16 * 1024);
    scripts.generate = async function* () {
      for (let i = 0; i < total; i++) {
        produced++;
        yield { text: chunk, tokenCount: i };
      }
    };
    // The real gRPC transport, counting the messages the REST handler takes from it.
    const inner = grpcTransportTo(upstream);
    const counting: Transport = {
      unary: (...args) => inner.unary(...args),
      async stream(...args) {
        const out = await inner.stream(...args);
        const source = out.message;
        return {
          ...out,
          message: (async function* () {
            for await (const m of source) {
              pulled++;
              yield m;
            }
          })(),
        } as typeof out;
      },
    };
    const slow = await startRest({ services: contractServices, transport: counting });
    try {
      const s = await openStream(slow.url, generate());
      s.pause();
      // Wait until the handler stops pulling: every buffer between it and the paused client is full.
      let last = -1;
      for (let stable = 0; stable < 4; ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        stable = pulled === last ? stable + 1 : 0;
        last = pulled;
      }
      console.log(`backpressure: handler stopped after ${pulled} of ${total} messages (upstream had produced ${produced})`);
      expect(pulled).toBeLessThan(total / 2);
      s.resume();
      const lines = (await s.rest()).trim().split("\n");
      expect(lines).toHaveLength(total);
      expect(pulled).toBe(total);
    } finally {
      await slow.close();
    }
  });
});
