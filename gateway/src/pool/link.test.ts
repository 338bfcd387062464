/**
 * The worker link through the gateway, against real model workers (scripted backend): unary and
 * server-streaming calls go on it and answer exactly as on their own streams (gRPC and Connect clients),
 * a client that stops reading holds its stream back, and deadlines, cancellation, error details and a
 * worker's drain behave as they do per stream.
 */
import * as http2 from "node:http2";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { BadRequestSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { GenerateRequestSchema, ModelService } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { ExchangeRequestSchema, ExchangeResponseSchema } from "../../../gen/ts/agentos/mesh/v1/link_pb.js";
import type { ExchangeRequest } from "../../../gen/ts/agentos/mesh/v1/link_pb.js";
import { encodeFrame, FrameSplitter } from "../grpc/frames.js";
import { LINK_CREDIT_THRESHOLD, LINK_HEADER, LINK_MAX_MESSAGE_HEADER, LINK_PATH, LINK_WINDOW, WorkerLink } from "./link.js";
import type { PoolConfig } from "../config/config.js";
import type { Gateway } from "../server.js";
import { MODEL_SERVICE, startGateway, startModelWorker, testPool, waitFor, waitForMetric } from "../../test/mesh.js";
import type { ModelWorker } from "../../test/mesh.js";
import { callError } from "../../test/call-error.js";

const script = (tokens: string[], delayMs = 0) => ({ "x-agentos-script": JSON.stringify({ tokens, token_delay_ms: delayMs }) });
const COMPLETE_CANCELLED = 'agentos_worker_rpcs_total{code="CANCELLED",method="/agentos.model.v1.ModelService/Complete"}';
const GENERATE_CANCELLED = 'agentos_worker_rpcs_total{code="CANCELLED",method="/agentos.model.v1.ModelService/Generate"}';
const COMPLETE_OK = 'agentos_worker_rpcs_total{code="OK",method="/agentos.model.v1.ModelService/Complete"}';
const COMPLETE_IN_FLIGHT = 'agentos_worker_rpcs_in_flight{method="/agentos.model.v1.ModelService/Complete"}';

let a: ModelWorker;
let b: ModelWorker;
const gateways: Gateway[] = [];

/** A gateway in front of `addresses` (pool fields `over`), its clients, and its metrics (summed over replicas). */
async function gatewayFor(addresses: string[], over: Partial<PoolConfig> = {}) {
  const gateway = await startGateway([testPool(MODEL_SERVICE, addresses, over)]);
  gateways.push(gateway);
  const base = `http://127.0.0.1:${gateway.port}`;
  return {
    gateway,
    grpc: createClient(ModelService, createGrpcTransport({ baseUrl: base })),
    connect: createClient(ModelService, createConnectTransport({ baseUrl: base, httpVersion: "1.1" })),
    async metric(name: string): Promise<number> {
      const text = await (await fetch(`${base}/metrics`)).text();
      let sum = 0;
      for (const l of text.split("\n")) if (l.startsWith(name + "{")) sum += Number(l.substring(l.lastIndexOf(" ") + 1));
      return sum;
    },
  };
}

/** A worker whose script (a file: too large for metadata) streams `n` copies of `token`; stop it with `done`. */
async function bigWorker(token: string, n: number): Promise<{ worker: ModelWorker; done: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "link-"));
  await writeFile(join(dir, "big.json"), JSON.stringify({ tokens: Array(n).fill(token) }));
  const worker = await startModelWorker({ args: ["--script", join(dir, "big.json")] });
  return { worker, done: async () => (await worker.stop(), await rm(dir, { recursive: true, force: true })) };
}

/** A gateway whose pool is `address` and worker b, once both links are open. */
async function besideB(address: string) {
  const gw = await gatewayFor([address, b.address]);
  await waitFor(async () => (await gw.metric("agentos_gateway_replica_links_open")) === 2, "both links open");
  return gw;
}

beforeAll(async () => {
  [a, b] = await Promise.all([startModelWorker(), startModelWorker()]);
}, 90_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close(200)));
  await Promise.all([a?.stop(), b?.stop()]);
});

describe.each([
  ["on the worker's link socket", true],
  ["on the Exchange stream", false],
])("unary calls on the worker link, %s", (_, linkSocket) => {
  let gw: Awaited<ReturnType<typeof gatewayFor>>;
  let direct: Client<typeof ModelService>;
  beforeAll(async () => {
    gw = await gatewayFor([a.address], { linkSocket });
    direct = createClient(ModelService, createGrpcTransport({ baseUrl: `http://${a.address}` }));
    await waitFor(async () => (await gw.metric("agentos_gateway_replica_links_open")) === 1, "the link opens");
    expect(await gw.metric("agentos_gateway_replica_link_sockets_open")).toBe(linkSocket ? 1 : 0);
  });

  it.each(["grpc", "connect"] as const)("go on the link and answer as the worker does directly (%s)", async (protocol) => {
    const before = await gw.metric("agentos_gateway_replica_link_calls_total");
    const headers = script(["on", " the", " link"]);
    const answers = await Promise.all(Array.from({ length: 20 }, () => gw[protocol].complete({ prompt: "hi" }, { headers })));
    const own = await direct.complete({ prompt: "hi" }, { headers });
    for (const got of answers) {
      expect(got.text).toBe("on the link");
      expect(got.usage).toEqual(own.usage);
      expect(got.finishReason).toBe(own.finishReason);
    }
    expect((await gw.metric("agentos_gateway_replica_link_calls_total")) - before).toBe(20);
  });

  it.each(["grpc", "connect"] as const)("carry server streams, message by message, as the worker sends them directly (%s)", async (protocol) => {
    const before = await gw.metric("agentos_gateway_replica_link_calls_total");
    const headers = { "x-agentos-script": JSON.stringify({ tokens: ["a", "b", "c"], error: { code: "UNAVAILABLE", message: "gone", after_tokens: 2 } }) };
    const read = async (client: Client<typeof ModelService>) => {
      const texts: string[] = [];
      const err = await callError(
        (async () => {
          for await (const m of client.generate({ prompt: "hi" }, { headers })) texts.push(m.text);
        })(),
      );
      return { texts, code: err.code, message: err.rawMessage };
    };
    const viaLink = await read(gw[protocol]);
    expect(viaLink).toEqual(await read(direct));
    expect(viaLink.texts).toEqual(["a", "b"]);
    expect((await gw.metric("agentos_gateway_replica_link_calls_total")) - before).toBe(1);
  });

  it("hold a server stream back while its client does not read, and lose nothing", async () => {
    const token = "x".repeat(1000);
    const n = 3000; // 3 MB of messages: far more than every buffer on the way holds
    const { worker: big, done } = await bigWorker(token, n);
    try {
      const g = await gatewayFor([big.address], { linkSocket });
      await waitFor(async () => (await g.metric("agentos_gateway_replica_links_open")) === 1, "the link opens");
      const generated = "agentos_model_tokens_generated_total";
      const stream = g.grpc.generate({ prompt: "hi", sampling: { maxTokens: n } })[Symbol.asyncIterator]();
      expect((await stream.next()).value?.text).toBe(token);
      await new Promise((r) => setTimeout(r, 1000)); // the client stops reading
      expect(await big.metric(generated)).toBeLessThan(n / 2); // the worker waits for credits
      let text = token;
      for (let r = await stream.next(); !r.done; r = await stream.next()) text += r.value.text;
      expect(text).toBe(token.repeat(n)); // every token arrived, in order
      expect(await big.metric(generated)).toBe(n);
      expect(await g.metric("agentos_gateway_replica_link_calls_total")).toBe(1);
    } finally {
      await done();
    }
  }, 60_000);

  it("keep their status, message and details", async () => {
    const viaLink = await callError(gw.grpc.complete({}));
    const own = await callError(direct.complete({}));
    expect(viaLink.code).toBe(Code.InvalidArgument);
    expect(viaLink.rawMessage).toBe(own.rawMessage);
    expect(viaLink.findDetails(BadRequestSchema)).toEqual(own.findDetails(BadRequestSchema));
    expect(viaLink.findDetails(BadRequestSchema).length).toBe(1);
  });

  it.each(["grpc", "connect"] as const)("end at their deadline with DEADLINE_EXCEEDED (%s)", async (protocol) => {
    const t0 = Date.now();
    const err = await callError(gw[protocol].complete({ prompt: "hi" }, { headers: script(["x", "y", "z"], 500), timeoutMs: 300 }));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - t0).toBeLessThan(1400);
  });

  it("stop on the worker when the client cancels", async () => {
    const before = await a.metric(COMPLETE_CANCELLED);
    const abort = new AbortController();
    const pending = gw.grpc.complete({ prompt: "hi" }, { headers: script(Array(40).fill("t"), 100), signal: abort.signal });
    await waitForMetric(a, COMPLETE_IN_FLIGHT, 1);
    abort.abort();
    expect((await callError(pending)).code).toBe(Code.Canceled);
    await waitForMetric(a, COMPLETE_CANCELLED, before + 1);
  });
});

/** A link on a fresh connection to `address`, once the worker confirmed it; the connection closes after `use`. */
async function withLink(address: string, use: (link: WorkerLink) => Promise<void>): Promise<void> {
  const session = http2.connect(`http://${address}`);
  try {
    const link = new WorkerLink(session);
    await waitFor(async () => link.state === "open", "the link opens");
    await use(link);
  } finally {
    session.destroy();
  }
}

describe("a LinkStream", () => {
  it("cancels its call on the worker when it is destroyed before its status, as a stream's RST_STREAM does", async () => {
    await withLink(a.address, async (link) => {
      const before = await a.metric(GENERATE_CANCELLED);
      const body = encodeFrame(0, toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { prompt: "hi" })));
      const call = link.call({ ":path": "/agentos.model.v1.ModelService/Generate", ...script(Array(100).fill("t"), 50) }, false, body.byteLength)!;
      call.end(body);
      // What Node does to a stream whose reader leaves `for await` early.
      call.once("data", () => call.destroy());
      await waitForMetric(a, GENERATE_CANCELLED, before + 1);
      expect(link.pending).toBe(0);
    });
  });
});

type Reply = (results: { id: bigint; response?: Uint8Array; more?: boolean }[]) => void;

/**
 * A worker that serves only the link: it confirms it with `headers` beside {@link LINK_HEADER}, hands each
 * calls message to `onMessage` (with its size, and `reply` to send results), and ends the link with OK
 * when the gateway half-closes it.
 */
async function fakeLinkWorker(onMessage: (req: ExchangeRequest, size: number, reply: Reply) => void, headers: Record<string, string>): Promise<{ address: string; close: () => void }> {
  const server = http2.createServer();
  server.on("stream", (stream, h) => {
    stream.on("error", () => {});
    if (h[":path"] !== LINK_PATH) return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    stream.respond({ ":status": 200, "content-type": "application/grpc", [LINK_HEADER]: "1", ...headers }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    const reply: Reply = (results) => stream.write(encodeFrame(0, toBinary(ExchangeResponseSchema, create(ExchangeResponseSchema, { results }))));
    const splitter = new FrameSplitter(1 << 24);
    stream.on("data", (chunk: Buffer) => {
      for (const f of splitter.push(chunk)) onMessage(fromBinary(ExchangeRequestSchema, f.data), f.data.byteLength, reply);
    });
    stream.on("end", () => stream.end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** Runs `use` with a link to a {@link fakeLinkWorker} (with `onMessage` and `headers`), then stops the worker. */
async function withFakeLinkWorker(
  onMessage: (req: ExchangeRequest, size: number, reply: Reply) => void,
  headers: Record<string, string>,
  use: (link: WorkerLink) => Promise<void>,
): Promise<void> {
  const worker = await fakeLinkWorker(onMessage, headers);
  try {
    await withLink(worker.address, use);
  } finally {
    worker.close();
  }
}

describe("a link to a worker with a small message limit", () => {
  it("writes the calls of one turn in messages within the limit, and refuses calls that cannot fit", async () => {
    const limit = 60_000;
    const sizes: number[] = [];
    await withFakeLinkWorker(
      (req, size, reply) => {
        sizes.push(size);
        reply(req.calls.map((c) => ({ id: c.id })));
      },
      { [LINK_MAX_MESSAGE_HEADER]: String(limit) },
      async (link) => {
        const headers = { ":path": "/agentos.model.v1.ModelService/Complete", "x-tag": "t".repeat(1000) };
        const body = encodeFrame(0, new Uint8Array(20_000));
        expect(link.call(headers, true, 59_000)).toBeUndefined(); // the request fits, not with its metadata
        // Eight calls in the same turn: 168 KB together.
        const calls = Array.from({ length: 8 }, () => link.call(headers, true, body.byteLength));
        expect(calls.every((c) => c !== undefined)).toBe(true); // each one fits
        for (const c of calls) c!.end(body);
        await Promise.all(calls.map(async (c) => { for await (const _ of c!); }));
        expect(sizes.length).toBeGreaterThan(1);
        for (const size of sizes) expect(size).toBeLessThanOrEqual(limit / 2);
      },
    );
  });

  it("writes a turn's cancellations in messages within the limit", async () => {
    const limit = 2_000;
    const n = 1_500;
    const sizes: number[] = [];
    let received = 0;
    let cancelled = 0;
    await withFakeLinkWorker(
      (req, size) => {
        // No results: every call stays in flight until the gateway cancels it.
        if (req.cancelled.length > 0) sizes.push(size);
        received += req.calls.length;
        cancelled += req.cancelled.length;
      },
      { [LINK_MAX_MESSAGE_HEADER]: String(limit) },
      async (link) => {
        const body = encodeFrame(0, new Uint8Array(2));
        const calls = Array.from({ length: n }, () => link.call({ ":path": "/agentos.model.v1.ModelService/Complete" }, true, body.byteLength)!);
        for (const c of calls) {
          c.on("error", () => {});
          c.end(body);
        }
        await waitFor(async () => received === n, "the worker has every call");
        // In one turn: 1,500 cancellations, at least 2 bytes each.
        for (const c of calls) c.close(http2.constants.NGHTTP2_CANCEL);
        await waitFor(async () => cancelled === n, "the worker has every cancellation");
        expect(sizes.length).toBeGreaterThan(1);
        for (const size of sizes) expect(size).toBeLessThanOrEqual(limit);
        expect(link.state).toBe("open");
      },
    );
  });

  it("writes a turn's credits in messages within the limit", async () => {
    const limit = 1_000;
    const n = 200;
    const sizes: number[] = [];
    const ids: bigint[] = [];
    let credits = 0;
    await withFakeLinkWorker(
      (req, size, reply) => {
        if (req.credits.length > 0) sizes.push(size);
        credits += req.credits.length;
        ids.push(...req.calls.map((c) => c.id));
        // Once every call is in: one results message with a 40 KB message for each (within its window),
        // which the readers take in the same turn, each crediting it back.
        if (req.calls.length > 0 && ids.length === n) reply(ids.map((id) => ({ id, response: new Uint8Array(40_000), more: true })));
        if (req.credits.length > 0 && credits === n) reply(ids.map((id) => ({ id })));
      },
      { [LINK_MAX_MESSAGE_HEADER]: String(limit) },
      async (link) => {
        const body = encodeFrame(0, new Uint8Array(2));
        const calls = Array.from({ length: n }, () => link.call({ ":path": "/agentos.model.v1.ModelService/Generate" }, false, body.byteLength)!);
        const ends = calls.map(async (c) => {
          c.end(body);
          let bytes = 0;
          for await (const chunk of c) bytes += (chunk as Buffer).byteLength;
          return bytes;
        });
        expect(await Promise.all(ends)).toEqual(Array(n).fill(40_005));
        expect(credits).toBe(n);
        expect(sizes.length).toBeGreaterThan(1);
        for (const size of sizes) expect(size).toBeLessThanOrEqual(limit);
      },
    );
  });
});

describe("a LinkStream's credits", () => {
  it("go back in steps of half the window as the reader takes messages, not one per message", async () => {
    const count = 1000;
    const size = 100; // 100 KB in all: more than the window, so the stream needs the credits to go on
    const total = count * size;
    // The fake worker keeps to the call's window (as the real one does), and ends the call once less than
    // one step is left uncredited, as it is once the reader has taken everything.
    const credits: number[] = [];
    let id: bigint | undefined;
    let window = LINK_WINDOW;
    let sent = 0;
    let done = false;
    await withFakeLinkWorker(
      (req, _size, reply) => {
        for (const c of req.credits) {
          credits.push(c.bytes);
          window += c.bytes;
        }
        id ??= req.calls[0]?.id;
        if (id === undefined || done) return;
        for (; sent < count && window > 0; sent++, window -= size) reply([{ id, response: new Uint8Array(size), more: true }]);
        if (sent === count && credits.reduce((a, c) => a + c, 0) > total - LINK_CREDIT_THRESHOLD) {
          done = true;
          reply([{ id }]);
        }
      },
      {},
      async (link) => {
        const call = link.call({ ":path": "/agentos.model.v1.ModelService/Generate" }, false, 5)!;
        call.end(encodeFrame(0, new Uint8Array(0)));
        let bytes = 0;
        for await (const chunk of call) bytes += (chunk as Buffer).byteLength;
        expect(bytes).toBe(count * (size + 5));
        expect(credits.length).toBeLessThanOrEqual(Math.floor(total / LINK_CREDIT_THRESHOLD));
        for (const c of credits) expect(c).toBeGreaterThanOrEqual(LINK_CREDIT_THRESHOLD);
        expect(credits.reduce((a, c) => a + c, 0)).toBeLessThanOrEqual(total);
      },
    );
  });
});

/** A worker that confirms the link, then ends it with OK at its first calls (as a worker that starts draining then), and refuses every other stream. */
async function drainingAtOnce(): Promise<{ address: string; close: () => void }> {
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    const path = headers[":path"];
    if (path === "/grpc.health.v1.Health/Check") {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(encodeFrame(0, Uint8Array.of(0x08, 0x01)));
    } else if (path === LINK_PATH) {
      stream.respond({ ":status": 200, "content-type": "application/grpc", [LINK_HEADER]: "1" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.once("data", () => stream.end());
    } else stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe("the link's switch and fall-backs", () => {
  it("sends the calls a draining worker's link ended on to another replica, even a non-idempotent one", async () => {
    const draining = await drainingAtOnce();
    try {
      const gw = await besideB(draining.address);
      const bBefore = await b.metric(COMPLETE_OK);
      // The first pick is the first replica: its link ends with OK on this call, which never ran there.
      for (let i = 0; i < 4; i++) expect((await gw.grpc.complete({ prompt: "hi" }, { headers: script(["moved"]) })).text).toBe("moved");
      expect((await b.metric(COMPLETE_OK)) - bBefore).toBe(4);
    } finally {
      draining.close();
    }
  });

  it("counts link calls towards maxCallsPerConnection, renewing the connection", async () => {
    const gw = await gatewayFor([b.address], { maxCallsPerConnection: 20, healthCheck: { intervalMs: 60_000, timeoutMs: 1000, service: "" } });
    const client = gw.grpc;
    const linkCalls = () => gw.metric("agentos_gateway_replica_link_calls_total");
    for (let i = 0; i < 5 && (await linkCalls()) === 0; i++) await client.complete({ prompt: "hi" }, { headers: script(["x"]) });
    const first = await linkCalls();
    for (let i = 0; i < 60; i++) await client.complete({ prompt: "hi" }, { headers: script(["x"]) });
    // Every 20 calls the connection is renewed; its first call takes a stream while the new link opens.
    const onLink = (await linkCalls()) - first;
    expect(onLink).toBeLessThan(60);
    expect(onLink).toBeGreaterThanOrEqual(45);
  });

  it("is not used with link: false", async () => {
    const gw = await gatewayFor([b.address], { link: false });
    expect((await gw.grpc.complete({ prompt: "hi" }, { headers: script(["ok"]) })).text).toBe("ok");
    expect(await gw.metric("agentos_gateway_replica_link_calls_total")).toBe(0);
    expect(await gw.metric("agentos_gateway_replica_links_open")).toBe(0);
  });

  it("keeps its calls messages within the worker's message limit, and sends a call too large for it on a stream", async () => {
    const small = await startModelWorker({ args: ["--max-message-bytes", "60000"] });
    try {
      const gw = await gatewayFor([small.address]);
      await waitFor(async () => (await gw.metric("agentos_gateway_replica_links_open")) === 1, "the link opens");
      const calls = () => gw.metric("agentos_gateway_replica_link_calls_total");
      // Eight 40 KB requests at once: together far over 60,000 bytes, each one within it.
      const answers = await Promise.all(Array.from({ length: 8 }, () => gw.grpc.complete({ prompt: "p".repeat(40_000) }, { headers: script(["ok"]) })));
      expect(answers.map((a) => a.text)).toEqual(Array(8).fill("ok"));
      expect(await calls()).toBe(8);
      // 62 KB: small enough for the link in general, too large for this worker. On its own stream
      // only this call fails, as it would without the link; the link stays open for the others.
      const err = await callError(gw.grpc.complete({ prompt: "p".repeat(62_000) }, { headers: script(["ok"]) }));
      expect(err.code).toBe(Code.ResourceExhausted);
      expect(await calls()).toBe(8);
      expect((await gw.grpc.complete({ prompt: "hi" }, { headers: script(["still"]) })).text).toBe("still");
      expect(await calls()).toBe(9);
      expect(await gw.metric("agentos_gateway_replica_links_open")).toBe(1);
    } finally {
      await small.stop();
    }
  }, 60_000);

  it("lets a draining worker finish its calls, and sends new ones to the other replica", async () => {
    const c = await startModelWorker({ args: ["--grace-period", "20"] });
    try {
      const gw = await besideB(c.address);
      const bBefore = await b.metric(COMPLETE_OK);
      // Slow calls on both replicas; then c drains.
      const slow = Array.from({ length: 4 }, () => gw.grpc.complete({ prompt: "hi" }, { headers: script(["still", " here"], 400) }));
      await waitForMetric(c, COMPLETE_IN_FLIGHT, 1);
      await c.stop("SIGTERM").catch(() => {});
      for (const r of await Promise.all(slow)) expect(r.text).toBe("still here");
      // Every later call is answered (by b), none fails.
      const later = await Promise.all(Array.from({ length: 10 }, () => gw.grpc.complete({ prompt: "hi" }, { headers: script(["fine"]) })));
      for (const r of later) expect(r.text).toBe("fine");
      expect((await b.metric(COMPLETE_OK)) - bBefore).toBeGreaterThanOrEqual(10);
      expect(await gw.metric("agentos_gateway_replica_link_calls_total")).toBeGreaterThanOrEqual(14);
    } finally {
      await c.stop("SIGKILL").catch(() => {});
    }
  }, 60_000);

  it("keeps a stream flowing to its end when its connection is renewed mid-stream", async () => {
    const token = "y".repeat(1000);
    const n = 1000; // 1 MB: needs credits long after the renewal
    const { worker: big, done } = await bigWorker(token, n);
    try {
      // Health checks every 200 ms open streams: the connection is renewed after its third.
      const gw = await gatewayFor([big.address], { maxCallsPerConnection: 3 });
      const client = gw.grpc;
      const linkCalls = () => gw.metric("agentos_gateway_replica_link_calls_total");
      await waitFor(async () => (await gw.metric("agentos_gateway_replica_links_open")) === 1, "the link opens");
      const stream = client.generate({ prompt: "hi", sampling: { maxTokens: n } })[Symbol.asyncIterator]();
      let text = (await stream.next()).value?.text ?? "";
      expect(await linkCalls()).toBe(1); // it went on the first connection's link
      await new Promise((r) => setTimeout(r, 1500)); // the connection is renewed meanwhile
      for (let r = await stream.next(); !r.done; r = await stream.next()) text += r.value.text;
      expect(text).toBe(token.repeat(n));
      // Later calls go on a new connection's link (a call finding that link still opening takes a stream).
      await waitFor(async () => (await client.complete({ prompt: "hi" })).text.length > 0 && (await linkCalls()) >= 2, "a call on a new link");
    } finally {
      await done();
    }
  }, 60_000);

  it("fails a call in flight when its worker dies, without running it twice", async () => {
    const c = await startModelWorker();
    try {
      const gw = await besideB(c.address);
      const bBefore = await b.metric(COMPLETE_OK);
      const calls = Array.from({ length: 6 }, () =>
        gw.grpc.complete({ prompt: "hi" }, { headers: script(["never"], 2000) }).then(
          () => "ok",
          (e) => ConnectError.from(e).code,
        ),
      );
      await waitForMetric(c, COMPLETE_IN_FLIGHT, 1);
      const onC = await c.metric(COMPLETE_IN_FLIGHT);
      await c.stop("SIGKILL");
      const outcomes = await Promise.all(calls);
      // Complete is not idempotent: the calls that were on c fail with UNAVAILABLE, and are not replayed on b.
      expect(outcomes.filter((o) => o === Code.Unavailable).length).toBe(onC);
      expect(outcomes.filter((o) => o === "ok").length).toBe(6 - onC);
      expect((await b.metric(COMPLETE_OK)) - bBefore).toBe(6 - onC);
      expect(await gw.metric("agentos_gateway_replica_link_calls_total")).toBe(6);
    } finally {
      await c.stop("SIGKILL").catch(() => {});
    }
  }, 60_000);
});
