/** releaseOnClose: a closed HTTP/2 stream lets go of its listeners (and what they hold) and cannot crash on a late error. */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseOnClose } from "./release.js";

let server: http2.Http2Server;
let client: http2.ClientHttp2Session;
const closed: Promise<http2.ServerHttp2Stream>[] = [];

beforeAll(async () => {
  server = http2.createServer();
  server.on("stream", (stream) => {
    releaseOnClose(stream);
    const state = { big: Buffer.alloc(64 * 1024) }; // what a relay's closures would keep alive
    stream.on("data", () => state.big.byteLength);
    stream.on("end", () => stream.respond({ ":status": 200 }, { endStream: true }));
    closed.push(new Promise((ok) => stream.once("close", () => setImmediate(() => setImmediate(() => ok(stream))))));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  client?.close();
  await new Promise((ok) => server?.close(ok));
});

describe("releaseOnClose", () => {
  it("removes every listener once the stream has closed, and keeps a late error harmless", async () => {
    const req = client.request({ ":method": "POST", ":path": "/" });
    releaseOnClose(req);
    req.on("response", () => {});
    req.end("hello");
    req.resume();
    await new Promise((ok) => req.once("close", ok));
    const stream = await closed[0]!;
    await new Promise((ok) => setImmediate(ok));
    for (const s of [stream, req] as http2.Http2Stream[]) {
      expect(s.eventNames()).toEqual(["error"]);
      expect(() => s.emit("error", new Error("late"))).not.toThrow();
    }
  });

  it("leaves an open stream's listeners alone", async () => {
    const req = client.request({ ":method": "POST", ":path": "/" });
    releaseOnClose(req);
    const onResponse = () => {};
    req.on("response", onResponse);
    await new Promise((ok) => setImmediate(ok));
    expect(req.listeners("response")).toContain(onResponse);
    req.end();
    req.resume();
    await new Promise((ok) => req.once("close", ok));
  });
});
