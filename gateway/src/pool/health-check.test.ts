import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHealth, ServingStatus } from "./health-check.js";

/** A worker whose health answer is the bytes the test sets (with grpc-status 0). */
let answer = Buffer.alloc(0);
let server: http2.Http2Server;
let session: http2.ClientHttp2Session;

beforeAll(async () => {
  server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("data", () => {});
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  session?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("checkHealth", () => {
  it("reads SERVING from a well-formed answer", async () => {
    answer = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]);
    expect(await checkHealth(session, "", 2000)).toBe(ServingStatus.SERVING);
  });

  it("fails the check, and nothing else, when the answer does not decode", async () => {
    answer = Buffer.from([0, 0, 0, 0, 2, 0x08, 0xff]); // a varint cut short
    await expect(checkHealth(session, "", 2000)).rejects.toThrow(/health check answer does not decode/);
    answer = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x02]);
    expect(await checkHealth(session, "", 2000)).toBe(ServingStatus.NOT_SERVING);
  });
});
