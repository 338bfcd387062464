/**
 * One port for HTTP/1.1 and HTTP/2. Node's servers take one protocol each on cleartext, so a plain TCP
 * server reads the first bytes of every connection: the 24-byte HTTP/2 connection preface
 * ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", prior knowledge / h2c) sends the socket to the HTTP/2 server,
 * anything else to the HTTP/1.1 server. With TLS, ALPN chooses (h2 or http/1.1) the same way.
 *
 * Connections that hold resources without making progress are closed (each time is an option, so tests
 * can shorten them; 0 turns one off):
 * - a connection that has not sent enough to tell HTTP/1.1 from HTTP/2 (or has not finished its TLS
 *   handshake) within {@link DEFAULT_CLASSIFY_TIMEOUT_MS} is destroyed;
 * - an HTTP/1.1 request whose headers have not all arrived {@link DEFAULT_HEADERS_TIMEOUT_MS} after its
 *   first byte gets 408 and the connection is closed (Node's `headersTimeout`; bodies and responses
 *   have no time limit, so long uploads and streams are not cut);
 * - an HTTP/2 session with no open stream for {@link DEFAULT_HTTP2_IDLE_TIMEOUT_MS} is closed gracefully
 *   (GOAWAY), as Envoy's connection idle timeout does; a session with a stream open is never closed by it.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { releaseOnClose } from "../http/release.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** Time for a new connection to show its protocol (preface sniffing, TLS handshake). */
export const DEFAULT_CLASSIFY_TIMEOUT_MS = 10_000;
/** Time for an HTTP/1.1 request's headers, from its first byte: Node's own default. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
/** Time an HTTP/2 session may stay open with no stream. */
export const DEFAULT_HTTP2_IDLE_TIMEOUT_MS = 3_600_000; // Envoy's default idle_timeout

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
  /**
   * A connection that has not shown its protocol this long after it opened is destroyed: on cleartext,
   * not enough bytes to tell HTTP/1.1 from the HTTP/2 preface; with TLS, an unfinished handshake.
   * Default {@link DEFAULT_CLASSIFY_TIMEOUT_MS}; 0: no limit.
   */
  classifyTimeoutMs?: number;
  /**
   * An HTTP/1.1 request whose headers are not complete this long after its first byte gets 408 and its
   * connection is closed. Default {@link DEFAULT_HEADERS_TIMEOUT_MS}; 0: no limit.
   */
  headersTimeoutMs?: number;
  /**
   * An HTTP/2 session with no open stream this long is closed with GOAWAY. Default
   * {@link DEFAULT_HTTP2_IDLE_TIMEOUT_MS}; 0: no limit.
   */
  http2IdleTimeoutMs?: number;
}

/** Closes `session` gracefully once it has had no open stream for `idleMs`. */
function closeWhenIdle(session: http2.ServerHttp2Session, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => session.close(), idleMs);
    timer.unref();
  };
  arm();
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      if (--open === 0 && !session.closed && !session.destroyed) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
}

/** Starts listening; resolves once the port is bound. */
export async function listen(opts: ListenOptions): Promise<Listener> {
  const classifyMs = opts.classifyTimeoutMs ?? DEFAULT_CLASSIFY_TIMEOUT_MS;
  const headersMs = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const h2IdleMs = opts.http2IdleTimeoutMs ?? DEFAULT_HTTP2_IDLE_TIMEOUT_MS;
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
  // requestTimeout 0 (no limit on a whole request: uploads and streams take as long as they take) would
  // also make Node's headersTimeout 0, so it is set explicitly. Node checks it every
  // connectionsCheckingInterval (30 s by default; shorter for short timeouts).
  const h1 = http.createServer(
    {
      keepAliveTimeout: 65_000,
      requestTimeout: 0,
      headersTimeout: headersMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(10, Math.floor(headersMs / 2))),
    },
    opts.handler as http.RequestListener,
  );
  // Node starts checking its connections' timeouts when a server starts listening. This one never
  // listens (it is handed sockets), so it is told it does.
  h1.emit("listening");
  h2.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    if (h2IdleMs > 0) closeWhenIdle(session, h2IdleMs);
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
    // An unfinished handshake is a connection that has not shown its protocol.
    const handshakeTimeout = classifyMs > 0 ? classifyMs : 120_000;
    outer = tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, ALPNProtocols: ["h2", "http/1.1"], noDelay: true, handshakeTimeout }, (socket) => {
      dispatch(socket, socket.alpnProtocol === "h2");
    });
    // A failed or timed-out handshake: Node reports it here and leaves the connection open.
    outer.on("tlsClientError", (_err: Error, socket: tls.TLSSocket) => socket.destroy());
  } else {
    outer = net.createServer({ noDelay: true }, (socket) => {
      let buffered = Buffer.alloc(0);
      // Nothing (or only a prefix of the preface) for too long: nobody else has a timer on it yet.
      const timer = classifyMs > 0 ? setTimeout(() => socket.destroy(), classifyMs) : undefined;
      timer?.unref();
      socket.once("close", () => clearTimeout(timer));
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const n = Math.min(buffered.byteLength, PREFACE.byteLength);
        const isH2 = buffered.subarray(0, n).equals(PREFACE.subarray(0, n));
        if (isH2 && buffered.byteLength < PREFACE.byteLength) return; // need more bytes to decide
        socket.removeListener("data", onData);
        clearTimeout(timer);
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
        // Closes idle connections and stops the timeout checks; the HTTP/1.1 server has no port of its own.
        h1.close();
      });
    },
  };
}
