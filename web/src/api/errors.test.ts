import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { codeName, describeError, isCancelled } from "./errors.js";

describe("codeName", () => {
  it("spells codes the gRPC way", () => {
    expect(codeName(Code.InvalidArgument)).toBe("INVALID_ARGUMENT");
    expect(codeName(Code.Unavailable)).toBe("UNAVAILABLE");
    expect(codeName(Code.DeadlineExceeded)).toBe("DEADLINE_EXCEEDED");
    expect(codeName(Code.Canceled)).toBe("CANCELLED");
  });
});

describe("describeError", () => {
  it("keeps the server's message without Connect's code prefix", () => {
    const err = new ConnectError("temperature: must be at most 2", Code.InvalidArgument);
    expect(err.message).toContain("[invalid_argument]");
    expect(describeError(err)).toEqual({ code: "INVALID_ARGUMENT", message: "temperature: must be at most 2" });
  });

  it("turns anything else into UNKNOWN with its message", () => {
    expect(describeError(new TypeError("boom"))).toEqual({ code: "UNKNOWN", message: "boom" });
  });
});

describe("isCancelled", () => {
  it("recognises the error of an aborted call", () => {
    expect(isCancelled(new ConnectError("aborted", Code.Canceled))).toBe(true);
    expect(isCancelled(new ConnectError("down", Code.Unavailable))).toBe(false);
  });
});
