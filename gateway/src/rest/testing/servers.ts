/**
 * Real servers on ephemeral 127.0.0.1 ports for the REST tests: an upstream serving gRPC, Connect and
 * gRPC-Web (connect-node over h2c), and a front server that runs the REST handler (HTTP/1.1, or h2c with
 * `http2: true`) and answers 404 for anything the handler declines.
 */
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { ConnectRouter, Transport } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import { createRestHandler, type RestHandler, type RestHandlerOptions } from "../index.js";

/** A started server. */
export interface Started {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function listen(server: http2.Http2Server | http.Server): Promise<Started> {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s: import("node:net").Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Starts an upstream serving `routes` over gRPC, Connect and gRPC-Web. */
export async function startUpstream(routes: (router: ConnectRouter) => void): Promise<Started> {
  const server = http2.createServer(connectNodeAdapter({ routes, grpc: true, connect: true, grpcWeb: true }));
  return listen(server);
}

/** A gRPC transport to an upstream (what the gateway's router gives the REST handler). */
export function grpcTransportTo(upstream: Started): Transport {
  return createGrpcTransport({ baseUrl: upstream.url });
}

/** The REST handler on its own server (HTTP/1.1, or h2c when `http2` is set), 404 for paths it declines. */
export async function startRest(
  options: RestHandlerOptions,
  serverOptions: { http2?: boolean } = {},
): Promise<Started & { handler: RestHandler; declined: string[] }> {
  const handler = createRestHandler(options);
  const declined: string[] = [];
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    handler(req, res).then(
      (handled) => {
        if (handled) return;
        declined.push(req.url ?? "");
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not a REST path\n");
      },
      (err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      },
    );
  };
  const server = serverOptions.http2 ? http2.createServer(onRequest) : http.createServer(onRequest);
  return { ...(await listen(server)), handler, declined };
}
