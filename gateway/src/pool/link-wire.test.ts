/**
 * The results reader against protobuf-es's own encoder and decoder: every message protobuf-es writes
 * (and the forms other encoders may write: fields out of order, repeated scalars, unknown fields) reads
 * the same through both, and bytes that are not a message are refused as the generic reader refuses them.
 */
import { describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { ExchangeResponseSchema, LinkResultSchema } from "../../../gen/ts/agentos/mesh/v1/link_pb.js";
import type { ExchangeResponse } from "../../../gen/ts/agentos/mesh/v1/link_pb.js";
import { decodeResults, WireError } from "./link-wire.js";

/** What protobuf-es reads, in the reader's shape. */
function generic(bytes: Uint8Array) {
  return fromBinary(ExchangeResponseSchema, bytes).results.map((r) => ({
    id: Number(r.id),
    code: r.code,
    response: Array.from(r.response),
    message: r.message,
    trailers: r.trailers.map((t) => ({ key: t.key, value: Array.from(t.value) })),
    refused: r.refused,
    more: r.more,
  }));
}

function read(bytes: Uint8Array) {
  return decodeResults(bytes).map((r) => ({
    ...r,
    response: Array.from(r.response),
    trailers: r.trailers.map((t) => ({ key: t.key, value: Array.from(t.value) })),
  }));
}

const bytesOf = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256);

describe("decodeResults", () => {
  it("reads what protobuf-es writes, result by result", () => {
    const msg: ExchangeResponse = create(ExchangeResponseSchema, {
      results: [
        { id: 1n, response: bytesOf(5, 1), more: true },
        { id: 127n, response: bytesOf(200, 2), more: true },
        { id: 128n, code: 0, response: bytesOf(70_000, 3) },
        { id: 2n ** 40n + 3n, code: 5, message: "model 'x' not found: ünïcode ✓", trailers: [{ key: "grpc-status-details-bin", value: bytesOf(30, 4) }, { key: "x-a", value: new TextEncoder().encode("b") }] },
        { id: 9n, code: 14, message: "worker is draining", refused: true },
        { id: 10n },
      ],
    });
    const bytes = toBinary(ExchangeResponseSchema, msg);
    expect(read(bytes)).toEqual(generic(bytes));
    expect(read(bytes).map((r) => r.id)).toEqual([1, 127, 128, 2 ** 40 + 3, 9, 10]);
  });

  it("returns responses as views into the message, not copies", () => {
    const bytes = toBinary(ExchangeResponseSchema, create(ExchangeResponseSchema, { results: [{ id: 3n, response: bytesOf(64, 5), more: true }] }));
    const [r] = decodeResults(bytes);
    expect(r!.response.buffer).toBe(bytes.buffer);
  });

  it("reads fields in any order, keeps the last of a repeated scalar, and skips unknown fields of every wire type", () => {
    const result = new BinaryWriter()
      .tag(99, WireType.Varint).uint64(12345678901n) // unknown, before anything known
      .tag(3, WireType.LengthDelimited).bytes(bytesOf(10, 6))
      .tag(1, WireType.Varint).uint64(7n)
      .tag(2, WireType.Varint).uint32(3)
      .tag(2, WireType.Varint).uint32(4) // the last value wins
      .tag(50, WireType.Bit64).fixed64(1n)
      .tag(51, WireType.Bit32).fixed32(1)
      .tag(52, WireType.LengthDelimited).bytes(bytesOf(3, 7))
      .tag(7, WireType.Varint).bool(true)
      .finish();
    const bytes = new BinaryWriter()
      .tag(4, WireType.Varint).uint32(1) // unknown field of the outer message
      .tag(1, WireType.LengthDelimited).bytes(result)
      .finish();
    expect(read(bytes)).toEqual(generic(bytes));
    expect(decodeResults(bytes)[0]).toMatchObject({ id: 7, code: 4, more: true });
  });

  it("reads a known field that comes with another wire type as an unknown field (as protobuf's C++ and upb parsers do)", () => {
    const result = new BinaryWriter()
      .tag(1, WireType.Varint).uint64(7n)
      .tag(1, WireType.LengthDelimited).bytes(bytesOf(2, 8))
      .tag(3, WireType.Varint).uint32(1)
      .finish();
    const bytes = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(result).finish();
    expect(decodeResults(bytes)[0]).toMatchObject({ id: 7, response: new Uint8Array(0) });
  });

  it("reads an empty message as no results, and an empty result as all defaults", () => {
    expect(decodeResults(new Uint8Array(0))).toEqual([]);
    const bytes = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(new Uint8Array(0)).finish();
    expect(read(bytes)).toEqual(generic(bytes));
  });

  it("refuses a message cut anywhere inside a result, as protobuf-es does", () => {
    const bytes = toBinary(ExchangeResponseSchema, create(ExchangeResponseSchema, { results: [{ id: 300n, response: bytesOf(40, 9), message: "m", trailers: [{ key: "k", value: bytesOf(3, 1) }] }] }));
    for (let cut = 1; cut < bytes.byteLength; cut++) {
      const part = bytes.subarray(0, cut);
      expect(() => fromBinary(ExchangeResponseSchema, part), `protobuf-es at ${cut}`).toThrow();
      expect(() => decodeResults(part), `at ${cut}`).toThrow(WireError);
    }
  });

  it("refuses wire types that do not exist and field number 0", () => {
    expect(() => decodeResults(Uint8Array.of(0x0b))).toThrow(WireError); // field 1, wire type 3 (a group)
    expect(() => decodeResults(Uint8Array.of(0x0e))).toThrow(WireError); // wire type 6
    expect(() => decodeResults(Uint8Array.of(0x00, 0x00))).toThrow(WireError); // field 0
    const result = toBinary(LinkResultSchema, create(LinkResultSchema, { id: 1n }));
    const withGroup = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(Uint8Array.of(...result, 0x1f)).finish(); // field 3, wire type 7
    expect(() => decodeResults(withGroup)).toThrow(WireError);
  });

  it("refuses a varint longer than ten bytes", () => {
    expect(() => decodeResults(Uint8Array.of(0x08, ...new Array(10).fill(0xff), 0x01))).toThrow(WireError);
  });
});
