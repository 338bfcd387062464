import { describe, expect, it } from "vitest";
import { encodeFrame, FrameFlagsError, FrameSizeWatcher, FrameSplitter, FrameTooLargeError } from "./frames.js";

describe("FrameSplitter", () => {
  it("reassembles envelopes cut at any byte", () => {
    const a = encodeFrame(0, Buffer.from("hello"));
    const b = encodeFrame(1, Buffer.from("world!"));
    const all = Buffer.concat([a, b]);
    for (let cut = 0; cut <= all.byteLength; cut++) {
      const s = new FrameSplitter(100);
      const frames = [...s.push(all.subarray(0, cut)), ...s.push(all.subarray(cut))];
      expect(frames.map((f) => [f.flags, Buffer.from(f.data).toString()])).toEqual([
        [0, "hello"],
        [1, "world!"],
      ]);
      expect(s.buffered).toBe(0);
    }
  });

  it("rejects an envelope whose declared length exceeds the limit before buffering it", () => {
    const s = new FrameSplitter(4);
    expect(() => s.push(encodeFrame(0, Buffer.alloc(5)).subarray(0, 5))).toThrow(FrameTooLargeError);
  });

  it("rejects it as soon as the header is in when the header comes in pieces", () => {
    const s = new FrameSplitter(4);
    expect(s.push(Buffer.from([0, 0, 0]))).toEqual([]);
    expect(() => s.push(Buffer.from([0, 9, 1]))).toThrow(/9 bytes is larger than the limit of 4/);
  });

  it("hands over the envelopes completed before the one too large with the error", () => {
    const s = new FrameSplitter(4);
    const ok = encodeFrame(0, Buffer.from("ab"));
    try {
      s.push(Buffer.concat([ok, ok, encodeFrame(0, Buffer.alloc(5))]));
      expect.unreachable();
    } catch (e) {
      expect((e as FrameTooLargeError).completed.map((f) => Buffer.from(f.data).toString())).toEqual(["ab", "ab"]);
    }
  });

  it("gives the same envelopes however a stream of many is cut into chunks", () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const sent = Array.from({ length: 1 + random(30) }, (_, i) => Buffer.alloc(random(4) === 0 ? 0 : random(200), i));
      const all = Buffer.concat(sent.map((m) => encodeFrame(0, m)));
      const cuts = [...new Set(Array.from({ length: random(40) }, () => random(all.byteLength + 1)))].sort((x, y) => x - y);
      const s = new FrameSplitter(200);
      const got: Buffer[] = [];
      let from = 0;
      for (const at of [...cuts, all.byteLength]) {
        for (const f of s.push(all.subarray(from, at))) got.push(Buffer.from(f.data));
        from = at;
      }
      expect(got, `round ${round}`).toEqual(sent);
      expect(s.buffered).toBe(0);
    }
  });

  it("keeps a large message's chunks until it completes, then gives it whole", () => {
    const s = new FrameSplitter(1 << 20);
    const message = Buffer.alloc(100_000, 3);
    const all = encodeFrame(0, message);
    const got = [];
    for (let off = 0; off < all.byteLength; off += 16_384) got.push(...s.push(all.subarray(off, off + 16_384)));
    expect(got).toHaveLength(1);
    expect(Buffer.from(got[0]!.data).equals(message)).toBe(true);
  });
});

describe("FrameSizeWatcher", () => {
  it("counts envelopes across chunks and knows when it stands on a boundary", () => {
    const w = new FrameSizeWatcher(10);
    const data = Buffer.concat([encodeFrame(0, Buffer.from("abc")), encodeFrame(0, Buffer.alloc(0)), encodeFrame(0, Buffer.from("0123456789"))]);
    for (const byte of data) w.inspect(Buffer.from([byte]));
    expect(w.count).toBe(3);
    expect(w.atBoundary).toBe(true);
    w.inspect(Buffer.from([0, 0]));
    expect(w.atBoundary).toBe(false);
  });

  it("says how many bytes of each chunk end on an envelope boundary", () => {
    const w = new FrameSizeWatcher(100);
    const a = encodeFrame(0, Buffer.from("abc")); // 8 bytes
    const b = encodeFrame(0, Buffer.from("defgh")); // 10 bytes
    const empty = encodeFrame(0, Buffer.alloc(0)); // 5 bytes
    const data = Buffer.concat([a, b, empty]);
    // Whole envelopes, then one cut in its payload, then its rest with an empty one after it.
    w.inspect(data.subarray(0, 8));
    expect(w.completeBytes).toBe(8);
    w.inspect(data.subarray(8, 12));
    expect(w.completeBytes).toBe(0);
    expect(w.atBoundary).toBe(false);
    expect(w.pendingBytes).toBe(4);
    w.inspect(data.subarray(12, 23));
    expect(w.completeBytes).toBe(11);
    expect(w.atBoundary).toBe(true);
    // A chunk that completes one envelope and starts another, cut in its header.
    w.inspect(Buffer.concat([a, b.subarray(0, 3)]));
    expect(w.completeBytes).toBe(8);
    expect(w.atBoundary).toBe(false);
    expect(w.pendingBytes).toBe(3);
    w.inspect(b.subarray(3));
    expect(w.completeBytes).toBe(7);
    expect(w.count).toBe(5);
  });

  it("throws on a message larger than the limit", () => {
    const w = new FrameSizeWatcher(10);
    expect(() => w.inspect(encodeFrame(0, Buffer.alloc(11)))).toThrow(/11 bytes is larger than the limit of 10/);
  });

  it("throws on flags it was not told to allow, with the bytes of the envelopes before it complete", () => {
    const before = encodeFrame(0, Buffer.from("ok"));
    for (const flags of [0x01, 0x02, 0x80]) {
      const w = new FrameSizeWatcher(10, 0);
      expect(() => w.inspect(Buffer.concat([before, encodeFrame(flags, Buffer.from("x"))]))).toThrow(FrameFlagsError);
      expect(w.completeBytes).toBe(before.byteLength);
    }
    const any = new FrameSizeWatcher(10);
    any.inspect(encodeFrame(0x01, Buffer.from("x")));
    expect(any.count).toBe(1);
  });
});
