/**
 * One port for HTTP/1.1 and HTTP/2. Node's servers take one protocol each on cleartext, so a plain TCP
 * server reads the first bytes of every connection: the 24-byte HTTP/2 connection preface
 * ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", prior knowledge / h2c) sends the socket to the HTTP/2 server,
 * anything else to the HTTP/1.1 server. With TLS, ALPN chooses (h2 or http/1.1) the same way.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { releaseOnClose } from "../http/release.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** A listening socket with both protocols behind it. */
export interface Listener {
  readonly port: number;
  /** Stops accepting connections; `graceMs` later destroys what is left. */
  close(graceMs?: number): Promise<void>;
}

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  /** Called for every request of either protocol. */
  handler: Handler;
  /** HTTP/2 session settings towards clients. */
  http2Settings?: http2.Settings;
  /** Offered each HTTP/2 stream first; returns true when it took the stream. */
  onStream?: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;
  /** Called with each new HTTP/2 session (keep-alive pings). */
  onSession?: (session: http2.ServerHttp2Session) => void;
}

/** Starts listening; resolves once the port is bound. */
export async function listen(opts: ListenOptions): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  const h2opts: http2.ServerOptions = {
    settings: { maxConcurrentStreams: 1000, initialWindowSize: 1 << 20, ...opts.http2Settings },
    maxSessionMemory: 64,
  };
  // HTTP/2 streams: offered to onStream first (the raw gRPC relay works on the stream itself), then
  // wrapped in Node's compatibility request/response for everything else. Only streams that need them
  // pay for those objects.
  const h2 = http2.createServer(h2opts);
  h2.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
    releaseOnClose(stream);
    if (opts.onStream?.(stream, headers)) return;
    const req = new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
    const res = new http2.Http2ServerResponse(stream);
    opts.handler(req, res);
  });
  const h1 = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, opts.handler as http.RequestListener);
  h2.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    opts.onSession?.(session);
  });
  const dispatch = (socket: net.Socket, isH2: boolean) => {
    if (isH2) h2.emit("connection", socket);
    else {
      h1.emit("connection", socket);
      socket.resume();
    }
  };
  let outer: net.Server;
  if (opts.tls) {
    // TLS: ALPN picks the protocol. No Nagle here either: a stream's small messages leave at once.
    outer = tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, ALPNProtocols: ["h2", "http/1.1"], noDelay: true }, (socket) => {
      dispatch(socket, socket.alpnProtocol === "h2");
    });
  } else {
    outer = net.createServer({ noDelay: true }, (socket) => {
      let buffered = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const n = Math.min(buffered.byteLength, PREFACE.byteLength);
        const isH2 = buffered.subarray(0, n).equals(PREFACE.subarray(0, n));
        if (isH2 && buffered.byteLength < PREFACE.byteLength) return; // need more bytes to decide
        socket.removeListener("data", onData);
        socket.pause();
        socket.unshift(buffered);
        // The HTTP/2 server reads the buffered bytes itself; resuming here would emit them to no one.
        dispatch(socket, isH2);
      };
      socket.on("data", onData);
      socket.on("error", () => socket.destroy());
    });
  }
  outer.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    outer.once("error", reject);
    outer.listen(opts.port, opts.host, () => {
      outer.off("error", reject);
      resolve();
    });
  });
  const port = (outer.address() as AddressInfo).port;
  return {
    port,
    async close(graceMs = 5000) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, graceMs);
        timer.unref();
        outer.close(() => {
          clearTimeout(timer);
          resolve();
        });
        for (const session of sessions) session.close();
        h1.closeIdleConnections();
      });
    },
  };
}
