/**
 * The worker link's results messages (`agentos.mesh.v1.ExchangeResponse`), read straight off the wire.
 *
 * A results message carries every token of every stream the worker had ready, so it is read once per
 * link message and once per token inside it. The generic reader (`fromBinary`) builds a message object
 * per result through the schema's reflection; this reader walks the same bytes and returns plain
 * objects whose `response` is a view into the message (no copy). It follows the protobuf encoding rules
 * the generic reader does: fields in any order, the last value of a scalar wins, unknown fields are
 * skipped by their wire type, and a message that ends inside a field or uses a wire type that does not
 * exist is an error.
 */

/** What the gateway reads of one `agentos.mesh.v1.LinkResult`. */
export interface LinkResultView {
  /** The call's id (the gateway's own ids stay far below 2^53). */
  id: number;
  /** The status code (OK when absent), meaningful only once `more` is false. */
  code: number;
  /** A response message (streamed with `more`, or the unary answer); a view into the results message. */
  response: Uint8Array;
  message: string;
  trailers: { key: string; value: Uint8Array }[];
  /** The call was not run (the worker drains, or a client-streaming method): it may go elsewhere. */
  refused: boolean;
  /** A streamed message: the call goes on. */
  more: boolean;
}

const EMPTY: Uint8Array = new Uint8Array(0);
const utf8 = new TextDecoder();

/** Raised on bytes that are not a valid encoding of the message. */
export class WireError extends Error {}

/** A cursor over one message's bytes. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint as a number (exact up to 2^53; larger values lose their low bits, as a double does). */
  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw new WireError("premature end of a varint");
      const b = buf[pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
      scale *= 128;
    }
    throw new WireError("a varint longer than 10 bytes");
  }

  /** The wire type of the field whose tag {@link field} read last. */
  wire = 0;

  /** Reads a field's tag: returns its number and sets {@link wire}. Field number 0 is an error. */
  field(): number {
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    if (field === 0) throw new WireError("field number 0");
    this.wire = tag & 7;
    return field;
  }

  /** A reader over the message in the length-delimited field whose tag was read (same bytes, no copy). */
  sub(): Reader {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new WireError("premature end of a length-delimited field");
    this.pos = start + len;
    return new Reader(this.buf, start, start + len);
  }

  /** The bytes of a length-delimited field (a view). */
  bytes(): Uint8Array {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new WireError("premature end of a length-delimited field");
    this.pos = start + len;
    return this.buf.subarray(start, start + len);
  }

  /** Skips a field of `wireType` whose tag was read. */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new WireError(`wire type ${wireType} is not supported`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new WireError("premature end of a fixed-size field");
    this.pos += n;
  }
}

function readMetadata(r: Reader): { key: string; value: Uint8Array } {
  let key = "";
  let value = EMPTY;
  while (r.pos < r.end) {
    const field = r.field();
    const wire = r.wire;
    if (field === 1 && wire === 2) key = utf8.decode(r.bytes());
    else if (field === 2 && wire === 2) value = r.bytes();
    else r.skip(wire);
  }
  return { key, value };
}

function readResult(r: Reader): LinkResultView {
  const out: LinkResultView = { id: 0, code: 0, response: EMPTY, message: "", trailers: [], refused: false, more: false };
  while (r.pos < r.end) {
    const field = r.field();
    const wire = r.wire;
    // A known field with another wire type than its own is read as an unknown field, as protobuf's own
    // parsers do.
    if (wire === 0) {
      if (field === 1) out.id = r.varint();
      else if (field === 2) out.code = r.varint() % 4294967296; // uint32: the low 32 bits
      else if (field === 6) out.refused = r.varint() !== 0;
      else if (field === 7) out.more = r.varint() !== 0;
      else r.skip(wire);
    } else if (wire === 2) {
      if (field === 3) out.response = r.bytes();
      else if (field === 4) out.message = utf8.decode(r.bytes());
      else if (field === 5) out.trailers.push(readMetadata(r.sub()));
      else r.skip(wire);
    } else r.skip(wire);
  }
  return out;
}

/** The results of one `ExchangeResponse` message, in order. Throws {@link WireError} on bad bytes. */
export function decodeResults(data: Uint8Array): LinkResultView[] {
  const r = new Reader(data, 0, data.byteLength);
  const results: LinkResultView[] = [];
  while (r.pos < r.end) {
    if (r.field() === 1 && r.wire === 2) results.push(readResult(r.sub()));
    else r.skip(r.wire);
  }
  return results;
}
