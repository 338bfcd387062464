/**
 * What a Connect JSON client gets when the worker's answer cannot be converted: a message that does not
 * decode, or one protobuf JSON cannot express (a Duration out of range). The relays (plain requests) and
 * connect-node's decoding path (compressed requests) must answer alike: the messages before the bad one
 * arrive, then the call ends with `internal`, and the gateway goes on serving.
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { CompleteResponseSchema, GenerateResponseSchema } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import type { Gateway } from "../server.js";
import { MODEL_SERVICE, startGateway, testPool } from "../../test/mesh.js";
import { startRogueWorker } from "../../test/rogue-worker.js";
import type { RogueAnswer, RogueWorker } from "../../test/rogue-worker.js";

const text = (t: string) => toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { text: t }));
/** Field 1 (text) says 5 bytes follow; 1 does. */
const TRUNCATED = Uint8Array.of(0x0a, 0x05, 0x61);
/** A Duration beyond protobuf JSON's ±315,576,000,000 s. */
const HUGE_DURATION = toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { text: "c", timing: { queueTime: { seconds: 400_000_000_000n } } }));

/** The answer per test, by the request's prompt (the rogue worker only sees binary requests). */
const answers: Record<string, RogueAnswer> = {
  "one-write": { messages: [text("a"), text("b"), TRUNCATED, text("never")] },
  spaced: { messages: [text("a"), text("b"), TRUNCATED, text("never")], spaced: true },
  duration: { messages: [text("a"), HUGE_DURATION], spaced: true },
  unary: { messages: [TRUNCATED] },
  fine: { messages: [text("fine")] },
  "unary-duration": { messages: [toBinary(CompleteResponseSchema, create(CompleteResponseSchema, { text: "x", timing: { generationTime: { seconds: -400_000_000_000n } } }))] },
};

let rogue: RogueWorker;
let gateway: Gateway;
let base: string;
let lastPrompt = "";

beforeAll(async () => {
  // Requests carry the test's key as the prompt; the worker answers the last one sent (tests run in order).
  rogue = await startRogueWorker(() => answers[lastPrompt]!);
  gateway = await startGateway([testPool(MODEL_SERVICE, [rogue.address])]);
  base = `http://127.0.0.1:${gateway.port}`;
}, 60_000);

afterAll(async () => {
  await gateway?.close(200);
  await rogue?.close();
});

/** Splits a Connect streaming body into its envelopes. */
function envelopes(body: Buffer): { flags: number; json: Record<string, unknown> }[] {
  const out: { flags: number; json: Record<string, unknown> }[] = [];
  for (let off = 0; off + 5 <= body.byteLength; ) {
    const len = body.readUInt32BE(off + 1);
    out.push({ flags: body[off]!, json: JSON.parse(body.subarray(off + 5, off + 5 + len).toString()) as Record<string, unknown> });
    off += 5 + len;
  }
  return out;
}

/** A Connect JSON Generate stream; `compressed` takes connect-node's decoding path. */
async function generate(key: string, compressed: boolean) {
  lastPrompt = key;
  const json = JSON.stringify({ prompt: key });
  const payload = compressed ? gzipSync(json) : Buffer.from(json);
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(payload.byteLength, 1);
  const res = await fetch(`${base}/agentos.model.v1.ModelService/Generate`, {
    method: "POST",
    headers: { "content-type": "application/connect+json", ...(compressed ? { "connect-content-encoding": "gzip" } : {}) },
    body: Buffer.concat([head, payload]),
  });
  return { status: res.status, envelopes: envelopes(Buffer.from(await res.arrayBuffer())) };
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
