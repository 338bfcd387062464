import http from "node:http";
import type { AddressInfo } from "node:net";
import { createProxyHandler, type ProxyOptions } from "./proxy.js";

/** A started baseline gateway. */
export interface BaselineGateway {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

/**
 * Assembles and starts the baseline gateway on `port` (0 picks a free one) of 127.0.0.1.
 *
 * @example
 *   const gw = await build({ upstream: "http://127.0.0.1:50061" }, 0);
 *   console.log(gw.port);
 */
export async function build(opts: ProxyOptions, port: number, host = "127.0.0.1"): Promise<BaselineGateway> {
  const server = http.createServer({ noDelay: true, keepAlive: true, keepAliveTimeout: 300_000 }, createProxyHandler(opts));
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  server.maxRequestsPerSocket = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, backlog: 4096 }, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
