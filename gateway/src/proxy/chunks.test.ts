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

  it("agrees with a reading of the joined body for many frames (empty ones included) however they are cut", () => {
    /** The layout read from one contiguous buffer: the reference. */
    const reference = (all: Buffer) => {
      const layout = { whole: 0, unfinished: 0, largest: 0, firstFlags: -1 };
      let off = 0;
      while (all.byteLength - off >= 5) {
        const len = all.readUInt32BE(off + 1);
        if (layout.firstFlags < 0) layout.firstFlags = all[off]!;
        layout.largest = Math.max(layout.largest, len);
        if (all.byteLength - off - 5 < len) break;
        off += 5 + len;
        layout.whole++;
      }
      layout.unfinished = all.byteLength - off;
      return layout;
    };
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const frames = Array.from({ length: 1 + random(40) }, () => encodeFrame(random(2), Buffer.alloc(random(3) === 0 ? 0 : random(70), round)));
      let all = Buffer.concat(frames);
      if (random(3) === 0) all = all.subarray(0, random(all.byteLength + 1)); // ends inside a frame, or on a boundary
      if (random(5) === 0) all = Buffer.concat([all, Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2])]); // declares 4 GiB
      const cuts = [...new Set(Array.from({ length: random(20) }, () => random(all.byteLength + 1)))].sort((x, y) => x - y);
      expect(cut(all, cuts).frames(), `round ${round}, cuts ${cuts.join(",")}`).toEqual(reference(all));
    }
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
