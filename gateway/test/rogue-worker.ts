/**
 * A worker out of protocol, for tests of what the gateway does with answers no real worker sends (a
 * message that does not decode, a value protobuf JSON cannot express). It is a plain node:http2 server on
 * an ephemeral port of 127.0.0.1: grpc.health.v1 Check answers SERVING, so a pool takes it as ready, and
 * every other call is answered by the test's `answer`: gRPC messages and raw bytes (each its own write,
 * a few milliseconds apart, when `spaced`), then a status (OK unless told otherwise); or the status alone,
 * trailers-only; or a reset of the stream.
 */
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { encodeFrame } from "../src/grpc/frames.js";
import { LINK_PATH } from "../src/pool/link.js";

/** What the rogue worker answers to one call. */
export interface RogueAnswer {
  /** The messages (protobuf bytes, unframed) written in order. */
  messages: Uint8Array[];
  /** Raw bytes written after the messages, as they are (a message cut in pieces, an unfinished one). */
  raw?: Uint8Array[];
  /** Write each message and each piece of `raw` separately, 10 ms apart; otherwise all in one write. */
  spaced?: boolean;
  /** Answer trailers-only (`grpc-status` in the headers, no body); `messages` and `raw` are ignored. */
  trailersOnly?: boolean;
  /** The status sent (in the trailers, or in the headers when trailers-only); default OK. */
  status?: { code: number; message?: string };
  /** Reset the stream with this HTTP/2 error code instead of answering. */
  reset?: number;
  /** Drop the whole connection instead of answering (the worker died with the call). */
  drop?: boolean;
}

/** A running rogue worker. */
export interface RogueWorker {
  address: string;
  /** The paths of the calls it received, health checks excepted. */
  calls: string[];
  /** The request headers of the last call it received, health checks excepted. */
  lastHeaders: http2.IncomingHttpHeaders | undefined;
  /** HTTP/2 connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

const SERVING = encodeFrame(0, Uint8Array.of(0x08, 0x01));

/** Starts a rogue worker answering each call to `path` with `answer(path)`. */
export async function startRogueWorker(answer: (path: string) => RogueAnswer): Promise<RogueWorker> {
  const calls: string[] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  let connections = 0;
  server.on("session", (s) => {
    connections++;
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  let lastHeaders: http2.IncomingHttpHeaders | undefined;
  server.on("stream", (stream, headers) => {
    const path = String(headers[":path"]);
    if (path === LINK_PATH) {
      // As any gRPC server without the worker link: UNIMPLEMENTED at once, and not counted as a call.
      stream.on("error", () => {});
      stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "Method not found!" }, { endStream: true });
      return;
    }
    if (path !== "/grpc.health.v1.Health/Check") lastHeaders = headers;
    stream.on("error", () => {});
    stream.on("data", () => {});
    stream.on("end", () => {
      if (stream.closed) return;
      const health = path === "/grpc.health.v1.Health/Check";
      const { messages, raw = [], spaced, trailersOnly, status, reset, drop }: RogueAnswer = health ? { messages: [] } : answer(path);
      if (drop) {
        calls.push(path);
        stream.session?.destroy();
        return;
      }
      const statusHeaders: http2.OutgoingHttpHeaders = { "grpc-status": String(status?.code ?? 0) };
      if (status?.message) statusHeaders["grpc-message"] = encodeURIComponent(status.message);
      if (reset !== undefined) {
        calls.push(path);
        stream.close(reset);
        return;
      }
      if (trailersOnly) {
        calls.push(path);
        stream.respond({ ":status": 200, "content-type": "application/grpc", ...statusHeaders }, { endStream: true });
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers(statusHeaders));
      if (health) {
        stream.end(SERVING);
        return;
      }
      calls.push(path);
      const frames = [...messages.map((m) => encodeFrame(0, m)), ...raw];
      if (!spaced) {
        stream.end(Buffer.concat(frames));
        return;
      }
      const next = (i: number) => {
        if (stream.closed) return;
        if (i === frames.length) return void stream.end();
        stream.write(frames[i]);
        setTimeout(next, 10, i + 1);
      };
      next(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    get lastHeaders() {
      return lastHeaders;
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
