/** Which Connect requests the relays take (connect-unary.ts, connect-stream.ts); the rest go to connect-node. */
import { describe, expect, it } from "vitest";
import type { NodeRequest } from "../http/types.js";
import type { Route } from "../upstream/route.js";
import { takesConnectStreamFastPath } from "./connect-stream.js";
import { takesConnectUnaryFastPath } from "./connect-unary.js";

const route = (methodKind: string) => ({ method: { methodKind }, maxRequestBytes: 1024 }) as unknown as Route;
const req = (headers: Record<string, string>, method = "POST") => ({ method, headers }) as unknown as NodeRequest;

describe("takesConnectUnaryFastPath", () => {
  const unary = route("unary");
  it.each(["application/proto", "application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON; charset=utf8"])(
    "takes %s",
    (ct) => expect(takesConnectUnaryFastPath(unary, req({ "content-type": ct }))).toBe(true),
  );
  it.each(["application/json; charset=latin1", "application/connect+json", "text/plain", "application/jsonx", "application/grpc"])(
    "leaves %s to connect-node",
    (ct) => expect(takesConnectUnaryFastPath(unary, req({ "content-type": ct }))).toBe(false),
  );
  it("leaves GET, compressed bodies, malformed timeouts, oversized bodies and streams to connect-node", () => {
    const json = { "content-type": "application/json" };
    expect(takesConnectUnaryFastPath(unary, req(json, "GET"))).toBe(false);
    expect(takesConnectUnaryFastPath(unary, req({ ...json, "content-encoding": "gzip" }))).toBe(false);
    expect(takesConnectUnaryFastPath(unary, req({ ...json, "connect-timeout-ms": "soon" }))).toBe(false);
    expect(takesConnectUnaryFastPath(unary, req({ ...json, "content-length": "4096" }))).toBe(false);
    expect(takesConnectUnaryFastPath(route("server_streaming"), req(json))).toBe(false);
  });
});

describe("takesConnectStreamFastPath", () => {
  const stream = route("server_streaming");
  it.each(["application/connect+proto", "application/connect+json", "application/connect+json; charset=utf-8", "Application/Connect+JSON;charset=UTF8"])(
    "takes %s",
    (ct) => expect(takesConnectStreamFastPath(stream, req({ "content-type": ct }))).toBe(true),
  );
  it.each(["application/json", "application/connect+json; charset=utf-16", "application/grpc+json"])("leaves %s to connect-node", (ct) =>
    expect(takesConnectStreamFastPath(stream, req({ "content-type": ct }))).toBe(false),
  );
  it("leaves compressed requests and other method kinds to connect-node", () => {
    const json = { "content-type": "application/connect+json" };
    expect(takesConnectStreamFastPath(stream, req({ ...json, "connect-content-encoding": "gzip" }))).toBe(false);
    expect(takesConnectStreamFastPath(route("bidi_streaming"), req(json))).toBe(false);
    expect(takesConnectStreamFastPath(route("unary"), req(json))).toBe(false);
  });
});
