import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodeStatusProto, encodeStatusProto, statusFromError, statusFromTrailers, statusToTrailers } from "./status.js";
import { formatGrpcTimeout, parseGrpcTimeout } from "./headers.js";

describe("status trailers", () => {
  it("round-trip code, percent-encoded message and details", () => {
    const status = { code: Code.InvalidArgument, message: "bad input: 100% wrong ✓", details: [{ type: "google.rpc.BadRequest", value: new Uint8Array([10, 2, 8, 1]) }] };
    const t = statusToTrailers(status);
    expect(t["grpc-status"]).toBe("3");
    expect(t["grpc-message"]).not.toContain("✓");
    expect(statusFromTrailers(t)).toEqual(status);
  });

  it("encodes google.rpc.Status with type URLs", () => {
    const bytes = encodeStatusProto({ code: Code.NotFound, message: "x", details: [{ type: "a.B", value: new Uint8Array([1]) }] });
    expect(Buffer.from(bytes).toString("latin1")).toContain("type.googleapis.com/a.B");
    expect(decodeStatusProto(bytes)).toEqual({ code: Code.NotFound, message: "x", details: [{ type: "a.B", value: new Uint8Array([1]) }] });
  });

  it("keeps a ConnectError's code and details", () => {
    const err = new ConnectError("nope", Code.PermissionDenied);
    err.details = [{ type: "x.Y", value: new Uint8Array([7]) }];
    expect(statusFromError(err)).toEqual({ code: Code.PermissionDenied, message: "nope", details: [{ type: "x.Y", value: new Uint8Array([7]) }] });
  });

  it("is undefined without grpc-status", () => {
    expect(statusFromTrailers({})).toBeUndefined();
  });
});

describe("grpc-timeout", () => {
  it("parses every unit and rejects malformed values", () => {
    expect(parseGrpcTimeout("2S")).toBe(2000);
    expect(parseGrpcTimeout("150m")).toBe(150);
    expect(parseGrpcTimeout("1M")).toBe(60_000);
    expect(parseGrpcTimeout("1H")).toBe(3_600_000);
    expect(parseGrpcTimeout("5000u")).toBe(5);
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
    expect(parseGrpcTimeout("123456789S")).toBeNaN();
    expect(parseGrpcTimeout("1x")).toBeNaN();
  });

  it("formats with at most 8 digits", () => {
    expect(formatGrpcTimeout(1500)).toBe("1500m");
    expect(formatGrpcTimeout(1e9)).toBe("1000000S");
  });
});
