/**
 * One port for HTTP/1.1 and HTTP/2. Node's servers take one protocol each on cleartext, so a plain TCP
 * server reads the first bytes of every connection: the 24-byte HTTP/2 connection preface
 * ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", prior knowledge / h2c) sends the socket to the HTTP/2 server,
 * anything else to the HTTP/1.1 server. With TLS, ALPN chooses (h2 or http/1.1) in one secure server.
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";

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
  let outer: net.Server;
  let h1: http.Server | undefined;
  let h2: http2.Http2Server | http2.Http2SecureServer;
  if (opts.tls) {
    h2 = http2.createSecureServer({ ...h2opts, cert: opts.tls.cert, key: opts.tls.key, allowHTTP1: true, ALPNProtocols: ["h2", "http/1.1"] }, opts.handler);
    outer = h2 as unknown as net.Server;
  } else {
    h2 = http2.createServer(h2opts, opts.handler);
    h1 = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, opts.handler as http.RequestListener);
    const h1s = h1;
    const h2s = h2;
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
        (isH2 ? h2s : h1s).emit("connection", socket);
        socket.resume();
      };
      socket.on("data", onData);
      socket.on("error", () => socket.destroy());
    });
  }
  outer.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  h2.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    opts.onSession?.(session);
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
        h1?.closeIdleConnections();
        if (h1) {
          // Connections finish their current request, then close.
          for (const s of sockets) if (!sessions.size) s.setTimeout(graceMs, () => s.destroy());
        }
      });
    },
  };
}
