/**
 * The worker link on a worker's link socket: a link moves there when the worker names one, stays on its
 * `Exchange` stream when the socket cannot be had, and fails or refuses its calls as the worker's status
 * frame (or its absence) says. Against real workers and against fake ones that break the protocol.
 */
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { CompleteRequestSchema } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { ExchangeRequestSchema, ExchangeResponseSchema, LinkResultSchema } from "../../../gen/ts/agentos/mesh/v1/link_pb.js";
import type { ExchangeRequest } from "../../../gen/ts/agentos/mesh/v1/link_pb.js";
import { encodeFrame, FrameSplitter } from "../grpc/frames.js";
import { LINK_HEADER, LINK_PATH, WorkerLink } from "./link.js";
import type { LinkStream } from "./link.js";
import { LINK_END_FLAG, LINK_PREFACE, LINK_SOCKET_HEADER, linkSocketPort } from "./link-socket.js";
import { startModelWorker, waitFor } from "../../test/mesh.js";
import type { ModelWorker } from "../../test/mesh.js";

const { NGHTTP2_REFUSED_STREAM } = http2.constants;
const COMPLETE = "/agentos.model.v1.ModelService/Complete";

/** A link on a fresh connection to `address` (options as given), once it opened; the connection closes after `use`. */
async function withLink(address: string, socket: boolean, use: (link: WorkerLink) => Promise<void>): Promise<void> {
  const session = http2.connect(`http://${address}`);
  try {
    const link = new WorkerLink(session, undefined, { socket, socketTimeoutMs: 2_000 });
    await waitFor(async () => link.state === "open", "the link opens");
    await use(link);
  } finally {
    session.destroy();
  }
}

/** Sends a Complete call on `link` and waits for it to end; returns its stream. */
async function complete(link: WorkerLink, headers: Record<string, string> = {}): Promise<LinkStream> {
  const body = encodeFrame(0, toBinary(CompleteRequestSchema, create(CompleteRequestSchema, { prompt: "hi" })));
  const call = link.call({ ":path": COMPLETE, ...headers }, true, body.byteLength)!;
  const closed = new Promise((r) => call.once("close", r));
  call.on("error", () => {}); // a failed call's error; its rstCode is what the tests read
  call.end(body);
  call.resume();
  await closed;
  return call;
}

/** Resolves with the text of a CompleteResponse streamed on `call` (its single data envelope). */
function collect(call: LinkStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  call.on("data", (c: Buffer) => chunks.push(c));
  return new Promise((r) => call.once("close", () => r(Buffer.concat(chunks))));
}

describe("with a real worker", () => {
  let worker: ModelWorker;
  beforeAll(async () => {
    worker = await startModelWorker();
  }, 90_000);
  afterAll(async () => {
    await worker?.stop();
  });

  it("the link moves to the socket the worker names, and calls answer there", async () => {
    await withLink(worker.address, true, async (link) => {
      expect(link.onSocket).toBe(true);
      const script = { "x-agentos-script": JSON.stringify({ tokens: ["over", " TCP"] }) };
      const body = encodeFrame(0, toBinary(CompleteRequestSchema, create(CompleteRequestSchema, { prompt: "hi" })));
      const call = link.call({ ":path": COMPLETE, ...script }, true, body.byteLength)!;
      const got = collect(call);
      call.end(body);
      const data = await got;
      expect(call.rstCode).toBe(0);
      expect(data.subarray(5).toString("latin1")).toContain("over TCP");
    });
  });

  it("stays on the Exchange stream when the socket is turned off", async () => {
    await withLink(worker.address, false, async (link) => {
      expect(link.onSocket).toBe(false);
      expect((await complete(link)).rstCode).toBe(0);
    });
  });
});

type Behaviour = (sock: net.Socket, req: ExchangeRequest) => void;

/**
 * A worker serving the link's `Exchange` (naming `socketPort` as its link socket, or the port of its own
 * link socket when undefined) and a link socket that answers the preface and hands each calls message to
 * `behaviour`.
 */
async function fakeWorker(behaviour: Behaviour, socketPort?: number, preface: Buffer<ArrayBuffer> = LINK_PREFACE) {
  const sockets = new Set<net.Socket>();
  const linkServer = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => {});
    let greeted = false;
    const splitter = new FrameSplitter(1 << 24);
    sock.on("data", (chunk: Buffer) => {
      if (!greeted) {
        greeted = true;
        expect(chunk.subarray(0, 16).equals(LINK_PREFACE)).toBe(true);
        sock.write(preface);
        chunk = chunk.subarray(16);
      }
      for (const f of splitter.push(chunk)) behaviour(sock, fromBinary(ExchangeRequestSchema, f.data));
    });
  });
  await new Promise<void>((r) => linkServer.listen(0, "127.0.0.1", r));
  const port = socketPort ?? (linkServer.address() as AddressInfo).port;
  const h2 = http2.createServer();
  h2.on("stream", (stream, h) => {
    stream.on("error", () => {});
    if (h[":path"] !== LINK_PATH) return stream.close(NGHTTP2_REFUSED_STREAM);
    stream.respond({ ":status": 200, "content-type": "application/grpc", [LINK_HEADER]: "1", [LINK_SOCKET_HEADER]: String(port) }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.on("data", () => {});
    stream.on("end", () => stream.end());
  });
  await new Promise<void>((r) => h2.listen(0, "127.0.0.1", r));
  return {
    address: `127.0.0.1:${(h2.address() as AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      linkServer.close();
      h2.close();
    },
  };
}

async function withFake(behaviour: Behaviour, use: (link: WorkerLink) => Promise<void>, socketPort?: number, preface?: Buffer<ArrayBuffer>) {
  const w = await fakeWorker(behaviour, socketPort, preface);
  try {
    await withLink(w.address, true, use);
  } finally {
    w.close();
  }
}

const endFrame = (code: number, message: string) => encodeFrame(LINK_END_FLAG, toBinary(LinkResultSchema, create(LinkResultSchema, { code, message })));
const answer = (sock: net.Socket, req: ExchangeRequest) =>
  sock.write(encodeFrame(0, toBinary(ExchangeResponseSchema, create(ExchangeResponseSchema, { results: req.calls.map((c) => ({ id: c.id })) }))));

describe("a link socket", () => {
  it("that cannot be reached leaves the link on its Exchange stream", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r)); // nothing listens there now
    await withFake(() => {}, async (link) => {
      expect(link.onSocket).toBe(false);
      expect(link.socketError).toMatch(/ECONNREFUSED/);
    }, port);
  });

  it("that answers something else than the preface leaves the link on its Exchange stream", async () => {
    await withFake(() => {}, async (link) => {
      expect(link.onSocket).toBe(false);
      expect(link.socketError).toMatch(/does not speak the link/);
    }, undefined, Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"));
  });

  it("carries calls and their results", async () => {
    await withFake(answer, async (link) => {
      expect(link.onSocket).toBe(true);
      const calls = await Promise.all([complete(link), complete(link), complete(link)]);
      expect(calls.map((c) => c.rstCode)).toEqual([0, 0, 0]);
    });
  });

  it("ended with OK refuses the calls it did not answer: they never ran", async () => {
    await withFake((sock) => sock.end(endFrame(0, "")), async (link) => {
      const call = await complete(link);
      expect(call.rstCode).toBe(NGHTTP2_REFUSED_STREAM);
      expect(link.state).toBe("closed");
      expect(link.closedBecause).toMatch(/draining/);
    });
  });

  it("ended with an error fails its calls with the worker's message", async () => {
    await withFake((sock) => sock.end(endFrame(13, "the gateway sent a link frame with flags 1")), async (link) => {
      const call = await complete(link);
      expect(call.rstCode).not.toBe(NGHTTP2_REFUSED_STREAM);
      expect(call.rstCode).not.toBe(0);
      expect(link.closedBecause).toBe("the link ended with status 13: the gateway sent a link frame with flags 1");
    });
  });

  it("closed without the worker's status fails its calls as maybe run, not refused", async () => {
    await withFake((sock) => sock.destroy(), async (link) => {
      const call = await complete(link);
      expect(call.rstCode).not.toBe(NGHTTP2_REFUSED_STREAM);
      expect(call.rstCode).not.toBe(0);
      expect(link.closedBecause).toMatch(/without the worker's status/);
    });
  });
});

describe("linkSocketPort", () => {
  it("takes a port number and nothing else", () => {
    expect(linkSocketPort("40123")).toBe(40123);
    for (const bad of [undefined, "", "0", "65536", "-1", "12ab", " 80", ["80"]]) expect(linkSocketPort(bad as string)).toBeUndefined();
  });
});
