/**
 * A body collected chunk by chunk for the relays that need it whole (one request message, one unary
 * response). Most such bodies arrive as a single chunk, which is then used as it is; only a body that
 * came in several chunks is copied, once, when it is asked for whole.
 */
const EMPTY = Buffer.alloc(0);

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
}
