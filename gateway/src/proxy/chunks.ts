/**
 * A body collected chunk by chunk for the relays that need it whole (one request message, one unary
 * response). Most small bodies arrive as a single chunk, which is then used as it is. A large one (an
 * embeddings batch: 52 KB, in 16 KB HTTP/2 DATA frames) is checked frame by frame across its chunks
 * ({@link Chunks.frames}) and written on as those chunks ({@link Chunks.endInto}): copying it into one
 * buffer cost the gateway a quarter to a third of its CPU per batch (gRPC, h2load, 16 in flight: 0.47–0.61
 * against 0.39 ms), mostly in the garbage collections the copies' external memory set off (30% of the
 * gateway's samples against 11%). Only a caller that needs contiguous bytes (a message to decode) asks for
 * {@link Chunks.whole}, which copies once.
 */
/** Where {@link Chunks.endInto} writes: an HTTP/2 stream, an HTTP/1.1 or HTTP/2 compatibility response. */
export interface EndInto {
  write(chunk: Buffer): unknown;
  end(): unknown;
  end(chunk: Buffer): unknown;
  cork?(): void;
  uncork?(): void;
}

const EMPTY = Buffer.alloc(0);

/** How a body divides into gRPC frames (5-byte header: flags, then the message length, big-endian). */
export interface FrameLayout {
  /** Frames that arrived whole. */
  whole: number;
  /** Bytes of an unfinished frame at the end (0 when the body ends on a frame boundary). */
  unfinished: number;
  /** The largest message length a frame header declared, the unfinished frame's included. */
  largest: number;
  /** The first frame's flags (-1 when no frame header came). */
  firstFlags: number;
}

export class Chunks {
  private first: Buffer | undefined;
  private more: Buffer[] | undefined;
  /** Bytes collected so far. */
  size = 0;

  /** Adds the next chunk. */
  add(chunk: Buffer): void {
    this.size += chunk.byteLength;
    if (this.first === undefined) this.first = chunk;
    else (this.more ??= [this.first]).push(chunk);
  }

  /** The first chunk, where the body's first frame header starts (undefined before any chunk). */
  get head(): Buffer | undefined {
    return this.first;
  }

  /** Whether no chunk came at all. */
  get isEmpty(): boolean {
    return this.first === undefined;
  }

  /** Everything collected as one buffer (empty when nothing came). */
  whole(): Buffer {
    return this.more ? Buffer.concat(this.more, this.size) : (this.first ?? EMPTY);
  }

  /**
   * The body as gRPC frames, read across chunk boundaries without joining the chunks: one forward pass
   * over the chunks, whatever their number and the frames' (a body of many small frames in many chunks
   * costs what its bytes cost).
   */
  frames(): FrameLayout {
    const layout: FrameLayout = { whole: 0, unfinished: 0, largest: 0, firstFlags: -1 };
    const chunks = this.more ?? (this.first === undefined ? [] : [this.first]);
    let index = 0; // the chunk the cursor is in
    let at = 0; // the cursor's offset in that chunk
    let off = 0; // the cursor's offset in the body: the start of the frame being read
    const header = [0, 0, 0, 0, 0];
    for (;;) {
      if (this.size - off < 5) break;
      for (let i = 0; i < 5; i++) {
        while (at >= chunks[index]!.byteLength) {
          index++;
          at = 0;
        }
        header[i] = chunks[index]![at++]!;
      }
      const len = ((header[1]! << 24) >>> 0) + (header[2]! << 16) + (header[3]! << 8) + header[4]!;
      if (layout.firstFlags < 0) layout.firstFlags = header[0]!;
      if (len > layout.largest) layout.largest = len;
      if (this.size - off - 5 < len) break;
      off += 5 + len;
      layout.whole++;
      // Skip the message: whole chunks at a time.
      let skip = len;
      while (skip > 0) {
        const left = chunks[index]!.byteLength - at;
        if (skip < left) {
          at += skip;
          break;
        }
        skip -= left;
        index++;
        at = 0;
      }
    }
    layout.unfinished = this.size - off;
    return layout;
  }

  /**
   * Writes the body from byte `from` on to `out` and ends it: one chunk as the end's payload, several
   * corked into one vectored write where `out` can cork (an HTTP/2 compatibility response cannot; its
   * writes are sent together at the end of the turn anyway), none as a bare end.
   */
  endInto(out: EndInto, from = 0): void {
    if (this.more === undefined) {
      const only = this.first?.subarray(from);
      if (only !== undefined && only.byteLength > 0) out.end(only);
      else out.end();
      return;
    }
    out.cork?.();
    let skip = from;
    for (const chunk of this.more) {
      if (skip >= chunk.byteLength) {
        skip -= chunk.byteLength;
        continue;
      }
      out.write(skip > 0 ? chunk.subarray(skip) : chunk);
      skip = 0;
    }
    out.end();
    out.uncork?.();
  }
}
