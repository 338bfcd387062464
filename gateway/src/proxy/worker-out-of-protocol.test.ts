/**
 * What clients get when a worker answers out of protocol, from a worker that does so on purpose
 * (test/rogue-worker.ts) through a real gateway:
 * - a message the Connect JSON relays cannot convert (it does not decode, or protobuf JSON cannot express
 *   it): the messages before the bad one arrive, then the call ends with `internal`, as on connect-node's
 *   decoding path (compressed requests take it);
 * - a response that ends inside a message: every relay (gRPC, Connect binary and JSON, unary and
 *   streams) ends the call with `internal`, never with OK and a truncated message, and a Connect stream
 *   never puts its end-of-stream message inside the unfinished one;
 * - an OK answer to a unary call with no message (trailers-only included) or two: `unimplemented`; more
 *   bytes than one message of the limit: `resource_exhausted`, without keeping them;
 * - a message with flags (a Connect end of stream, compression not negotiated) or declared over the
 *   limit on a Connect stream: the messages before it, then `internal` or `resource_exhausted`;
 * and the gateway goes on serving.
 */
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CompleteRequestSchema, CompleteResponseSchema, GenerateRequestSchema, GenerateResponseSchema } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { encodeFrame } from "../grpc/frames.js";
import type { Gateway } from "../server.js";
import { MODEL_SERVICE, startGateway, testPool } from "../../test/mesh.js";
import { connectJsonStream } from "../../test/connect-json.js";
import { startRogueWorker } from "../../test/rogue-worker.js";
import type { RogueAnswer, RogueWorker } from "../../test/rogue-worker.js";

const text = (t: string) => toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { text: t }));
/** Field 1 (text) says 5 bytes follow; 1 does. */
const TRUNCATED = Uint8Array.of(0x0a, 0x05, 0x61);
/** A Duration beyond protobuf JSON's ±315,576,000,000 s. */
const HUGE_DURATION = toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { text: "c", timing: { queueTime: { seconds: 400_000_000_000n } } }));

/** The gateway's limit on one response message, small so that tests can exceed it cheaply. */
const LIMIT = 64 << 10;

/** The first 7 of a message's 13 framed bytes. */
const UNFINISHED = encodeFrame(0, text("unfinished")).subarray(0, 7);
const LONG = encodeFrame(0, text("a message long enough to be cut in three"));

/** The answer per test, by the request's prompt (the rogue worker only sees binary requests). */
const answers: Record<string, RogueAnswer> = {
  "one-write": { messages: [text("a"), text("b"), TRUNCATED, text("never")] },
  spaced: { messages: [text("a"), text("b"), TRUNCATED, text("never")], spaced: true },
  duration: { messages: [text("a"), HUGE_DURATION], spaced: true },
  unary: { messages: [TRUNCATED] },
  fine: { messages: [text("fine")] },
  // A response that ends 7 bytes into a third message, in one write or in separate ones.
  "unfinished-one-write": { messages: [text("a"), text("b")], raw: [UNFINISHED] },
  "unfinished-spaced": { messages: [text("a"), text("b")], raw: [UNFINISHED], spaced: true },
  // A whole message cut inside its header and inside its payload, across three writes.
  "cut-across-writes": { messages: [text("a")], raw: [LONG.subarray(0, 3), LONG.subarray(3, 9), LONG.subarray(9)], spaced: true },
  "unary-unfinished": { messages: [], raw: [UNFINISHED] },
  "unary-two": { messages: [toBinary(CompleteResponseSchema, create(CompleteResponseSchema, { text: "x" })), toBinary(CompleteResponseSchema, create(CompleteResponseSchema, { text: "y" }))] },
  "unary-none": { messages: [] },
  "unary-whole-then-unfinished": { messages: [toBinary(CompleteResponseSchema, create(CompleteResponseSchema, { text: "x" }))], raw: [UNFINISHED] },
  "unary-trailers-only": { messages: [], trailersOnly: true },
  // More bytes than one message of the limit may have (LIMIT), as empty messages: never kept whole.
  "unary-endless": { messages: [], raw: [Buffer.alloc(LIMIT + 4096)] },
  // Messages with flags the worker may not set: 0x02 (a Connect end of stream), 0x01 (compression was not negotiated).
  "flag-end": { messages: [text("a")], raw: [encodeFrame(2, text("b")), encodeFrame(0, text("c"))] },
  "flag-compressed": { messages: [text("a")], raw: [encodeFrame(1, text("b"))], spaced: true },
  // A header declaring a message over the limit, after two whole messages in the same write.
  "too-large-after": { messages: [text("a"), text("b")], raw: [Uint8Array.of(0, 0x7f, 0xff, 0xff, 0xff)] },
  "unary-duration": { messages: [toBinary(CompleteResponseSchema, create(CompleteResponseSchema, { text: "x", timing: { generationTime: { seconds: -400_000_000_000n } } }))] },
};

let rogue: RogueWorker;
let gateway: Gateway;
let base: string;
let lastPrompt = "";

beforeAll(async () => {
  // Requests carry the test's key as the prompt; the worker answers the last one sent (tests run in order).
  rogue = await startRogueWorker(() => answers[lastPrompt]!);
  gateway = await startGateway([testPool(MODEL_SERVICE, [rogue.address])], { maxResponseBytes: LIMIT });
  base = `http://127.0.0.1:${gateway.port}`;
}, 60_000);

afterAll(async () => {
  await gateway?.close(200);
  await rogue?.close();
});

/** A Connect JSON Generate stream; `compressed` takes connect-node's decoding path. */
async function generate(key: string, compressed: boolean) {
  lastPrompt = key;
  return connectJsonStream(`${base}/agentos.model.v1.ModelService/Generate`, JSON.stringify({ prompt: key }), { compressed });
}

/** A Connect JSON Complete call; `compressed` takes connect-node's decoding path. */
async function complete(key: string, compressed: boolean) {
  lastPrompt = key;
  const json = JSON.stringify({ prompt: key });
  const res = await fetch(`${base}/agentos.model.v1.ModelService/Complete`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(compressed ? { "content-encoding": "gzip" } : {}) },
    body: compressed ? gzipSync(json) : json,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("Connect JSON stream relay, a worker message that cannot be converted", () => {
  for (const key of ["one-write", "spaced"]) {
    it(`sends the messages before a message that does not decode, then internal (${key === "spaced" ? "messages in separate writes" : "all in one write"})`, async () => {
      const relay = await generate(key, false);
      expect(relay.status).toBe(200);
      expect(relay.envelopes.slice(0, 2)).toEqual([
        { flags: 0, json: { text: "a" } },
        { flags: 0, json: { text: "b" } },
      ]);
      expect(relay.envelopes).toHaveLength(3);
      const end = relay.envelopes[2]!;
      expect(end.flags).toBe(2);
      expect(end.json.error).toMatchObject({ code: "internal", message: expect.stringContaining("agentos.model.v1.GenerateResponse") });
      // connect-node's own path ends the same way after the same messages.
      const decoded = await generate(key, true);
      expect(decoded.envelopes.slice(0, 2)).toEqual(relay.envelopes.slice(0, 2));
      expect(decoded.envelopes.at(-1)).toMatchObject({ flags: 2, json: { error: { code: "internal" } } });
    });
  }

  it("ends with internal when a message has a value protobuf JSON cannot express", async () => {
    const relay = await generate("duration", false);
    expect(relay.envelopes[0]).toEqual({ flags: 0, json: { text: "a" } });
    expect(relay.envelopes).toHaveLength(2);
    expect(relay.envelopes[1]).toMatchObject({ flags: 2, json: { error: { code: "internal" } } });
    const decoded = await generate("duration", true);
    expect(decoded.envelopes.at(-1)).toMatchObject({ flags: 2, json: { error: { code: "internal" } } });
  });
});

describe("Connect JSON unary relay, a worker message that cannot be converted", () => {
  for (const key of ["unary", "unary-duration"]) {
    it(`answers internal, as connect-node's path does (${key === "unary" ? "does not decode" : "Duration out of range"})`, async () => {
      const relay = await complete(key, false);
      const decoded = await complete(key, true);
      expect(relay.status).toBe(500);
      expect(relay.body).toMatchObject({ code: "internal" });
      expect(decoded.status).toBe(500);
      expect(decoded.body).toMatchObject({ code: "internal" });
    });
  }

  it("goes on serving: the next call through the same worker connection streams cleanly", async () => {
    const next = await generate("fine", false);
    expect(next.envelopes).toEqual([
      { flags: 0, json: { text: "fine" } },
      { flags: 2, json: {} },
    ]);
    expect(gateway.ready()).toBe(true);
  });
});

/** A Connect binary (`application/connect+proto`) Generate stream: message texts and the end-of-stream JSON. */
async function generateProto(key: string) {
  lastPrompt = key;
  const res = await fetch(`${base}/agentos.model.v1.ModelService/Generate`, {
    method: "POST",
    headers: { "content-type": "application/connect+proto" },
    body: new Uint8Array(encodeFrame(0, toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { prompt: key })))),
  });
  const body = Buffer.from(await res.arrayBuffer());
  const texts: string[] = [];
  let end: Record<string, unknown> | undefined;
  let off = 0;
  for (; off + 5 <= body.byteLength; ) {
    const len = body.readUInt32BE(off + 1);
    const data = body.subarray(off + 5, off + 5 + len);
    if (body[off] === 0) texts.push(fromBinary(GenerateResponseSchema, data).text);
    else end = JSON.parse(data.toString()) as Record<string, unknown>;
    off += 5 + len;
  }
  return { status: res.status, texts, end, trailingBytes: body.byteLength - off };
}

/** A plain gRPC call through the gateway on node:http2: the response bytes and the grpc-status. */
async function grpcCall(method: "Generate" | "Complete", key: string) {
  lastPrompt = key;
  const request =
    method === "Generate"
      ? toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { prompt: key }))
      : toBinary(CompleteRequestSchema, create(CompleteRequestSchema, { prompt: key }));
  const session = http2.connect(base);
  try {
    return await new Promise<{ data: Buffer; status?: string; message?: string }>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": `/agentos.model.v1.ModelService/${method}`, "content-type": "application/grpc", te: "trailers" });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message: string | undefined;
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] === undefined) return;
        status = String(h["grpc-status"]);
        message = h["grpc-message"] === undefined ? undefined : decodeURIComponent(String(h["grpc-message"]));
      };
      req.on("response", take);
      req.on("trailers", take);
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve({ data: Buffer.concat(chunks), status, message }));
      req.on("error", reject);
      req.end(encodeFrame(0, request));
    });
  } finally {
    session.close();
  }
}

describe("a worker response that ends inside a message, or has the wrong number of messages", () => {
  const middle = expect.stringMatching(/ended in the middle of a message \(7 bytes/);

  for (const key of ["unfinished-one-write", "unfinished-spaced"]) {
    const how = key === "unfinished-spaced" ? "separate writes" : "one write";
    it(`Connect binary stream: the whole messages, then an end-of-stream error outside the unfinished one (${how})`, async () => {
      const r = await generateProto(key);
      expect(r.status).toBe(200);
      expect(r.texts).toEqual(["a", "b"]);
      expect(r.end).toMatchObject({ error: { code: "internal", message: middle } });
      expect(r.trailingBytes).toBe(0);
    });

    it(`Connect JSON stream: the whole messages, then internal (${how})`, async () => {
      const r = await generate(key, false);
      expect(r.envelopes.slice(0, 2)).toEqual([
        { flags: 0, json: { text: "a" } },
        { flags: 0, json: { text: "b" } },
      ]);
      expect(r.envelopes).toHaveLength(3);
      expect(r.envelopes[2]).toMatchObject({ flags: 2, json: { error: { code: "internal", message: middle } } });
      // connect-node's decoding path (a compressed request) ends the same way.
      const decoded = await generate(key, true);
      expect(decoded.envelopes).toEqual(r.envelopes);
    });

    it(`gRPC stream: the bytes as the worker sent them, then grpc-status INTERNAL, not OK (${how})`, async () => {
      const r = await grpcCall("Generate", key);
      expect(r.data).toEqual(Buffer.concat([encodeFrame(0, text("a")), encodeFrame(0, text("b")), UNFINISHED]));
      expect(r.status).toBe("13");
      expect(r.message).toEqual(middle);
    });
  }

  it("Connect binary stream: a whole message cut across the worker's writes still arrives whole", async () => {
    const r = await generateProto("cut-across-writes");
    expect(r.texts).toEqual(["a", "a message long enough to be cut in three"]);
    expect(r.end).toEqual({});
    expect(r.trailingBytes).toBe(0);
  });

  it("gRPC unary: INTERNAL with no message, for an unfinished message alone or after a whole one", async () => {
    for (const key of ["unary-unfinished", "unary-whole-then-unfinished"]) {
      const r = await grpcCall("Complete", key);
      expect(r.status, key).toBe("13");
      expect(r.message, key).toEqual(middle);
      expect(r.data.byteLength, key).toBe(0);
    }
  });

  it("Connect unary, binary and JSON: internal, for an unfinished message alone or after a whole one", async () => {
    for (const key of ["unary-unfinished", "unary-whole-then-unfinished"]) {
      const relay = await complete(key, false);
      expect(relay.status, key).toBe(500);
      expect(relay.body, key).toMatchObject({ code: "internal", message: middle });
      const decoded = await complete(key, true);
      expect(decoded.status, key).toBe(500);
      expect(decoded.body, key).toMatchObject({ code: "internal", message: middle });
      lastPrompt = key;
      const res = await fetch(`${base}/agentos.model.v1.ModelService/Complete`, {
        method: "POST",
        headers: { "content-type": "application/proto" },
        body: toBinary(CompleteRequestSchema, create(CompleteRequestSchema, { prompt: key })),
      });
      expect(res.status, key).toBe(500);
      expect(await res.json(), key).toMatchObject({ code: "internal", message: middle });
    }
  });

  it("unary, gRPC and Connect: a second message or none at all with OK is unimplemented, as connect-node says", async () => {
    for (const [key, what] of [["unary-two", "more than one message"], ["unary-none", "no message"], ["unary-trailers-only", "no message"]] as const) {
      const r = await grpcCall("Complete", key);
      expect(r.status, key).toBe("12");
      expect(r.message, key).toBe(`protocol error: worker sent ${what} for a unary method`);
      expect(r.data.byteLength, key).toBe(0);
      const c = await complete(key, false);
      expect(c.status, key).toBe(501);
      expect(c.body, key).toMatchObject({ code: "unimplemented", message: `protocol error: worker sent ${what} for a unary method` });
    }
  });

  it("unary, gRPC and Connect: more bytes than one message of the limit is resource_exhausted, not kept", async () => {
    const r = await grpcCall("Complete", "unary-endless");
    expect(r.status).toBe("8");
    expect(r.data.byteLength).toBe(0);
    const c = await complete("unary-endless", false);
    expect(c.status).toBe(429);
    expect(c.body).toMatchObject({ code: "resource_exhausted" });
  });

  it("the gateway goes on serving the same worker", async () => {
    expect((await generateProto("fine")).texts).toEqual(["fine"]);
    expect((await grpcCall("Generate", "fine")).status).toBe("0");
  });
});

describe("Connect streams: a worker message with flags, or over the limit", () => {
  for (const [key, flags] of [["flag-end", "0x02"], ["flag-compressed", "0x01"]] as const) {
    it(`ends with internal after the messages before it, binary and JSON (flags ${flags})`, async () => {
      const binary = await generateProto(key);
      expect(binary.texts).toEqual(["a"]);
      expect(binary.end).toMatchObject({ error: { code: "internal", message: `protocol error: worker sent a message with flags ${flags} (no compression was negotiated)` } });
      expect(binary.trailingBytes).toBe(0);
      const json = await generate(key, false);
      expect(json.envelopes).toEqual([
        { flags: 0, json: { text: "a" } },
        { flags: 2, json: { error: { code: "internal", message: (binary.end!["error"] as { message: string }).message } } },
      ]);
      // connect-node's decoding path: the same message first, then internal.
      const decoded = await generate(key, true);
      expect(decoded.envelopes[0]).toEqual({ flags: 0, json: { text: "a" } });
      expect(decoded.envelopes.at(-1)).toMatchObject({ flags: 2, json: { error: { code: "internal" } } });
      expect(decoded.envelopes).toHaveLength(2);
    });
  }

  it("sends the whole messages before one declared over the limit, then resource_exhausted, binary and JSON", async () => {
    const binary = await generateProto("too-large-after");
    expect(binary.texts).toEqual(["a", "b"]);
    expect(binary.end).toMatchObject({ error: { code: "resource_exhausted", message: expect.stringContaining(`larger than the limit of ${LIMIT} bytes`) } });
    const json = await generate("too-large-after", false);
    expect(json.envelopes.slice(0, 2)).toEqual([
      { flags: 0, json: { text: "a" } },
      { flags: 0, json: { text: "b" } },
    ]);
    expect(json.envelopes[2]).toMatchObject({ flags: 2, json: { error: { code: "resource_exhausted" } } });
    const decoded = await generate("too-large-after", true);
    expect(decoded.envelopes.slice(0, 2)).toEqual(json.envelopes.slice(0, 2));
    expect(decoded.envelopes).toHaveLength(3);
    expect(decoded.envelopes[2]).toMatchObject({ flags: 2, json: { error: { code: "resource_exhausted" } } });
  });
});
