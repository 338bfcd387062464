import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { encodeFrame } from "../grpc/frames.js";
import { Chunks } from "./chunks.js";

/** The chunks of `body` cut at `cuts` (byte offsets). */
function cut(body: Buffer, cuts: number[]): Chunks {
  const c = new Chunks();
  let from = 0;
  for (const at of [...cuts, body.byteLength]) {
    c.add(body.subarray(from, at));
    from = at;
  }
  return c;
}

/** What `endInto` writes, and how: the writes and whether it ended. */
function written(c: Chunks, from = 0): { bytes: Buffer; writes: number; corked: boolean } {
  const out = new PassThrough();
  const got: Buffer[] = [];
  let writes = 0;
  let corked = false;
  const write = out.write.bind(out);
  out.write = ((chunk: Buffer) => {
    writes++;
    corked ||= out.writableCorked > 0;
    return write(chunk);
  }) as typeof out.write;
  out.on("data", (b: Buffer) => got.push(b));
  c.endInto(out, from);
  expect(out.writableEnded).toBe(true);
  return { bytes: Buffer.concat(got), writes, corked };
}

describe("Chunks.frames", () => {
  const a = encodeFrame(0, Buffer.from("hello")); // 10 bytes
  const b = encodeFrame(1, Buffer.alloc(300, 7)); // 305 bytes
  const body = Buffer.concat([a, b]);

  it("reads the same layout however the body is cut, headers split across chunks included", () => {
    const expected = { whole: 2, unfinished: 0, largest: 300, firstFlags: 0 };
    expect(cut(body, []).frames()).toEqual(expected);
    for (const cuts of [[1], [3], [10], [12], [14], [2, 11, 13, 200], Array.from({ length: 314 }, (_, i) => i + 1)]) {
      expect(cut(body, cuts).frames(), String(cuts.length > 5 ? "every byte" : cuts)).toEqual(expected);
    }
  });

  it("counts the bytes of an unfinished frame, its header alone or with part of its message", () => {
    expect(cut(body.subarray(0, 13), [11]).frames()).toEqual({ whole: 1, unfinished: 3, largest: 5, firstFlags: 0 });
    expect(cut(body.subarray(0, 100), [12, 40]).frames()).toEqual({ whole: 1, unfinished: 90, largest: 300, firstFlags: 0 });
    expect(cut(body.subarray(0, 4), [2]).frames()).toEqual({ whole: 0, unfinished: 4, largest: 0, firstFlags: -1 });
    expect(new Chunks().frames()).toEqual({ whole: 0, unfinished: 0, largest: 0, firstFlags: -1 });
  });
});

describe("Chunks.endInto", () => {
  const body = Buffer.from("0123456789abcdefghij");

  it("ends with the one chunk as it is, or a bare end when it is empty or nothing came", () => {
    expect(written(cut(body, []))).toEqual({ bytes: body, writes: 0, corked: false });
    expect(written(cut(body, []), 5).bytes).toEqual(body.subarray(5));
    expect(written(new Chunks()).bytes.byteLength).toBe(0);
    expect(written(cut(body.subarray(0, 5), []), 5).bytes.byteLength).toBe(0);
  });

  it("writes several chunks corked, skipping `from` bytes across them", () => {
    for (const from of [0, 3, 5, 7, 12, 20]) {
      const w = written(cut(body, [4, 9, 15]), from);
      expect(w.bytes, `from ${from}`).toEqual(body.subarray(from));
      expect(w.corked, `from ${from}`).toBe(from < body.byteLength);
    }
  });
});
