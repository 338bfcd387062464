import { describe, expect, it } from "vitest";
import { encodeFrame, FrameSizeWatcher, FrameSplitter, FrameTooLargeError } from "./frames.js";

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
});
