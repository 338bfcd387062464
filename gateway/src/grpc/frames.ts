/**
 * The gRPC length-prefixed message envelope: 1 flag byte, 4 bytes big-endian length, then the payload.
 * gRPC, gRPC-Web and Connect streaming share it, which is why the gateway can relay binary messages
 * between them without decoding them.
 *
 * @example
 *   const splitter = new FrameSplitter(4 << 20);
 *   for (const frame of splitter.push(chunk)) upstream.write(encodeFrame(frame.flags, frame.data));
 */

import { gunzipSync, inflateSync } from "node:zlib";

/** Flag bit of a compressed payload. */
export const FLAG_COMPRESSED = 0x01;
/** Flag bit of the gRPC-Web trailer frame and the Connect end-of-stream frame. */
export const FLAG_TRAILER = 0x80;
/** Flag bit of the Connect end-of-stream frame. */
export const FLAG_CONNECT_END = 0x02;

/** One message envelope. */
export interface Frame {
  flags: number;
  data: Uint8Array;
}

/** Encodes one envelope. */
export function encodeFrame(flags: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + data.byteLength);
  out[0] = flags;
  out.writeUInt32BE(data.byteLength, 1);
  out.set(data, 5);
  return out;
}

/** Raised by {@link FrameSplitter} when a message is larger than its limit. */
export class FrameTooLargeError extends Error {
  /**
   * @param completed the envelopes {@link FrameSplitter.push} completed in the same chunk before the
   *   one too large: a relay sends them before the error, as it would have without it
   */
  constructor(
    readonly size: number,
    readonly limit: number,
    readonly completed: Frame[] = [],
  ) {
    super(`message of ${size} bytes is larger than the limit of ${limit} bytes`);
  }
}

/**
 * Splits a byte stream into envelopes. Chunks may cut envelopes anywhere; the splitter keeps the
 * remainder, as the chunks it came in, and joins them once, when the envelope is complete (a large
 * message in many chunks is copied once, not once per chunk). The declared length is checked against the
 * limit as soon as the header is in, before the payload is buffered.
 */
export class FrameSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the pending envelope, header included, once its header is in. */
  private pendingNeed = 0;

  constructor(private readonly limit: number) {}

  /**
   * Adds a chunk and returns the envelopes it completes. Throws {@link FrameTooLargeError} (with the
   * envelopes completed before the one too large) when a message exceeds the limit.
   */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let buf: Buffer;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.byteLength;
      if (this.pendingNeed === 0 && this.pendingBytes >= 5) {
        const head = this.pending[0]!.byteLength >= 5 ? this.pending[0]! : Buffer.concat(this.pending, 5);
        const len = head.readUInt32BE(1);
        if (len > this.limit) throw new FrameTooLargeError(len, this.limit);
        this.pendingNeed = 5 + len;
      }
      if (this.pendingNeed === 0 || this.pendingBytes < this.pendingNeed) return frames;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.pendingNeed = 0;
    } else {
      buf = chunk;
    }
    let off = 0;
    while (buf.byteLength - off >= 5) {
      const len = buf.readUInt32BE(off + 1);
      if (len > this.limit) throw new FrameTooLargeError(len, this.limit, frames);
      if (buf.byteLength - off - 5 < len) {
        this.pendingNeed = 5 + len;
        break;
      }
      frames.push({ flags: buf[off]!, data: buf.subarray(off + 5, off + 5 + len) });
      off += 5 + len;
    }
    if (off < buf.byteLength) {
      const rest = buf.subarray(off);
      this.pending.push(rest);
      this.pendingBytes = rest.byteLength;
    }
    return frames;
  }

  /** Bytes of an incomplete envelope still held. */
  get buffered(): number {
    return this.pendingBytes;
  }
}

/** Raised by {@link FrameSizeWatcher} for an envelope whose flags the stream does not allow. */
export class FrameFlagsError extends Error {
  constructor(readonly flags: number) {
    super(`message with flags 0x${flags.toString(16).padStart(2, "0")}`);
  }
}

/**
 * Watches a byte stream for envelope boundaries without copying it: reports each message's declared
 * size so a relay can enforce a limit while forwarding the chunks untouched.
 */
export class FrameSizeWatcher {
  private header = Buffer.alloc(5);
  private headerFill = 0;
  private remaining = 0;
  private declared = 0;
  /** Number of complete envelopes seen. */
  count = 0;
  /**
   * Bytes of the last inspected chunk up to the end of the last envelope completed in it: 0 when none
   * completed there. A relay that must never forward part of an envelope sends these and holds the rest.
   */
  completeBytes = 0;

  /**
   * @param limit the largest message length allowed
   * @param allowedFlags the flag bits an envelope may carry (all by default); an envelope with another
   *   bit set throws {@link FrameFlagsError}
   */
  constructor(
    private readonly limit: number,
    private readonly allowedFlags = 0xff,
  ) {}

  /**
   * Inspects a chunk; throws {@link FrameTooLargeError} when an envelope exceeds the limit and
   * {@link FrameFlagsError} when its flags are not allowed. After a throw, {@link completeBytes} still
   * counts the envelopes completed in the chunk before the bad one.
   */
  inspect(chunk: Buffer): void {
    let off = 0;
    this.completeBytes = 0;
    while (off < chunk.byteLength) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.byteLength - off);
        this.remaining -= take;
        off += take;
        if (this.remaining === 0) {
          this.count++;
          this.completeBytes = off;
        }
        continue;
      }
      const take = Math.min(5 - this.headerFill, chunk.byteLength - off);
      chunk.copy(this.header, this.headerFill, off, off + take);
      this.headerFill += take;
      off += take;
      if (this.headerFill === 5) {
        this.headerFill = 0;
        const len = this.header.readUInt32BE(1);
        if (len > this.limit) throw new FrameTooLargeError(len, this.limit);
        if ((this.header[0]! & ~this.allowedFlags) !== 0) throw new FrameFlagsError(this.header[0]!);
        this.remaining = len;
        this.declared = len;
        if (len === 0) {
          this.count++;
          this.completeBytes = off;
        }
      }
    }
  }

  /** True when the stream ended on an envelope boundary. */
  get atBoundary(): boolean {
    return this.headerFill === 0 && this.remaining === 0;
  }

  /** Bytes seen of the envelope not finished yet (0 on a boundary). */
  get pendingBytes(): number {
    return this.headerFill > 0 ? this.headerFill : this.remaining > 0 ? 5 + this.declared - this.remaining : 0;
  }
}

/**
 * Checks the decompressed size of a compressed payload against a limit (limits apply to messages as
 * decoded, not as sent). Throws {@link FrameTooLargeError} when larger; unknown encodings are not checked.
 */
export function checkDecompressedSize(encoding: string, data: Uint8Array, limit: number): void {
  const opts = { maxOutputLength: limit + 1 };
  let out: Buffer;
  try {
    if (encoding === "gzip") out = gunzipSync(data, opts);
    else if (encoding === "deflate") out = inflateSync(data, opts);
    else return;
  } catch (e) {
    if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new FrameTooLargeError(limit + 1, limit);
    return; // malformed data: the worker answers that with its own error
  }
  if (out.byteLength > limit) throw new FrameTooLargeError(out.byteLength, limit);
}
