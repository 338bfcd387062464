/**
 * Assembles the gateway: one port, every protocol, every routed service. `build()` is what `main.ts`
 * runs and what tests start in-process on an ephemeral port.
 *
 * How a request is dispatched (see {@link Gateway}):
 *
 * 1. CORS (when origins are configured): preflights are answered, CORS headers set.
 * 2. `/healthz`, `/readyz`, `/metrics`.
 * 3. gRPC over HTTP/2 for a routed method → the raw relay (`proxy/raw-grpc.ts`): frames are forwarded to
 *    the worker without decoding.
 * 4. Connect unary and server-streaming calls in the binary codec (POST, uncompressed) to a routed
 *    method → relayed as bytes to the worker's gRPC (`proxy/connect-unary.ts`, `proxy/connect-stream.ts`).
 * 5. Any other RPC path ("/package.Service/Method": Connect JSON/binary incl. GET, gRPC-Web, gRPC over
 *    HTTP/1.1, and the gateway's own health and reflection services) → connect-node, whose generic
 *    implementations (`proxy/decoded.ts`) call the worker through the pools.
 * 6. **Extension point for non-RPC HTTP**: the `httpHandlers` given to `build()`, in order; the first one
 *    that resolves `true` has answered. This is where the REST/JSON transcoder
 *    (`createRestHandler({ services: gateway.services, transport: gateway.transportFor("rest") })` from
 *    gateway/src/rest), `/openapi.json` (gateway/src/openapi) and anything else plug in. They run
 *    before the static web client.
 * 7. Static files of the web client (`staticDir`, web/dist) at "/".
 * 8. 404.
 *
 * **Transport for in-process callers**: {@link Gateway.transport} is a connect `Transport` that reaches
 * every routed service through the pools (balancing, health, breakers, retries, deadlines,
 * cancellation). Handlers in step 6 receive it through `build({ httpHandlers: (g) => [...] })`. Every
 * call through it, as through the relays and connect-node, is counted in `agentos_gateway_calls_total`
 * with its client protocol (`grpc`, `grpc-web`, `connect`, `rest`, `in-process`).
 *
 * @example
 *   const gateway = await build({ config: { ...defaultConfig(), port: 0, pools } });
 *   console.log(`http://127.0.0.1:${gateway.port}`);
 *   await gateway.close();
 *
 * @example REST transcoder wiring (gateway/src/rest)
 *   await build({ config, httpHandlers: (g) => [createRestHandler({ services: g.services, transport: g.transportFor("rest") })] });
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IncomingHttpHeaders, ServerHttp2Stream, ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import type { DescFile, DescService } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { compressionGzip, connectNodeAdapter } from "@connectrpc/connect-node";
import type { GatewayConfig } from "./config/config.js";
import { healthV1File, reflectionV1alphaFile, reflectionV1File } from "./descriptors/builtin.js";
import { loadCatalog } from "./descriptors/registry.js";
import type { Catalog } from "./descriptors/registry.js";
import { createCors } from "./http/cors.js";
import { createEndpointsHandler, readiness } from "./http/endpoints.js";
import { createStaticHandler } from "./http/static.js";
import type { HttpHandler, NodeRequest, NodeResponse } from "./http/types.js";
import { listen } from "./listen/listener.js";
import type { Listener } from "./listen/listener.js";
import { GatewayMetrics } from "./metrics/metrics.js";
import { ServingStatus } from "./pool/health-check.js";
import { Pool } from "./pool/pool.js";
import { proxyConnectStream, takesConnectStreamFastPath } from "./proxy/connect-stream.js";
import { proxyConnectUnary, takesConnectUnaryFastPath } from "./proxy/connect-unary.js";
import { registerDecoded } from "./proxy/decoded.js";
import { proxyRawGrpc, rejectRawGrpc } from "./proxy/raw-grpc.js";
import { createPoolTransport } from "./proxy/transport.js";
import { registerHealth } from "./services/health.js";
import { registerReflection } from "./services/reflection.js";
import { makeRoute } from "./upstream/route.js";
import type { Route } from "./upstream/route.js";

/** A running gateway. */
export interface Gateway {
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** The worker services routed (enabled pools whose descriptors are known). */
  readonly services: DescService[];
  /** Reaches any routed service through the pools; for in-process callers (counted as `in-process`). */
  readonly transport: Transport;
  /** The same transport with its calls counted under another `protocol` label (e.g. `rest`). */
  transportFor(protocol: string): Transport;
  readonly pools: Pool[];
  readonly metrics: GatewayMetrics;
  readonly catalog: Catalog;
  /** True when every enabled pool has a healthy replica. */
  ready(): boolean;
  /** Resolves once ready, or rejects after `timeoutMs`. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Drains: /readyz turns 503, new connections are refused, open calls get `graceMs` to finish. */
  close(graceMs?: number): Promise<void>;
}

/** What `build()` needs. */
export interface BuildOptions {
  config: GatewayConfig;
  /** Descriptors to add to those of gen/ts and the configured descriptor sets. */
  files?: DescFile[];
  /** Non-RPC HTTP handlers (REST, OpenAPI, ...), tried in order before the static files. */
  httpHandlers?: (gateway: Gateway) => HttpHandler[];
  /** Collect Node process metrics (CPU, memory, event loop) too; main.ts turns it on. */
  processMetrics?: boolean;
}

/** gRPC with the protobuf codec: what workers speak, so it can be relayed without decoding. */
function isRawGrpc(contentType: string | undefined): boolean {
  return contentType === "application/grpc" || contentType === "application/grpc+proto";
}

/**
 * Request bodies up to this size that are still unread when the answer goes out are read and dropped
 * (Node does it when the response ends) and the connection stays open: closing it instead makes a
 * client that is still writing its small body fail with a broken pipe rather than read the answer.
 */
const DRAIN_UNREAD_BODY_BYTES = 64 * 1024;

/**
 * How long a connection closed after refusing a request whose body is still coming keeps reading (and
 * dropping) that body after the answer went out, so the client can read the answer (see {@link lingerOnClose}).
 */
const LINGER_MS = 2000;

/**
 * Marks an HTTP/1.1 response "connection: close" when its headers go out before a large (or unsized)
 * request body was read: reading it only to drop it would cost more than a new connection.
 */
function closeIfAnsweredEarly(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead;
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  const drainable = Number.isFinite(declared) && declared <= DRAIN_UNREAD_BODY_BYTES;
  // A handler that began reading and stopped leaves the request paused, and Node then does not drop
  // the rest: resume it so the next request on the connection can be parsed.
  if (drainable) res.once("finish", () => req.complete || req.resume());
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse["writeHead"]>) {
    if (!req.complete && !drainable) {
      res.shouldKeepAlive = false;
      res.setHeader("connection", "close");
      // A request a handler destroyed (connect-node does for a message over the size limit) no longer
      // holds its socket; the response may still. With neither, the connection is gone: nothing to linger on.
      const socket = req.socket ?? res.socket;
      if (socket !== null) lingerOnClose(req, socket);
    }
    return writeHead.apply(this, args);
  } as ServerResponse["writeHead"];
}

/**
 * A lingering close for a connection whose request was refused before its body was read: once the
 * answer is out, the gateway ends its side and goes on reading (the parser drops the body) until the
 * client closes or {@link LINGER_MS} pass, and only then closes. Closing at once would leave the
 * client's unsent body to arrive at a closed socket, and the reset that answers it makes the client fail
 * with a broken pipe, often before it reads the answer. Calls whose request did arrive whole (a stream
 * answered while its body was still being read) close as usual.
 */
function lingerOnClose(req: IncomingMessage, socket: Socket): void {
  const destroySoon = socket.destroySoon;
  // Node ends a "connection: close" exchange with socket.destroySoon(), once the response is written.
  socket.destroySoon = function (this: Socket) {
    if (req.complete || this.destroyed) return destroySoon.call(this);
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref(); // a lingering connection never holds the process open
    this.once("close", () => clearTimeout(timer));
    this.resume();
  };
}

/** Builds and starts the gateway. */
export async function build(opts: BuildOptions): Promise<Gateway> {
  const { config } = opts;
  const metrics = new GatewayMetrics({ defaultMetrics: opts.processMetrics });
  const catalog = await loadCatalog({ descriptorSets: config.descriptorSets, extra: [...(opts.files ?? []), healthV1File, reflectionV1File, reflectionV1alphaFile] });

  const pools: Pool[] = [];
  const routes = new Map<string, Route>();
  const services: DescService[] = [];
  // The JSON options of connect-node and of the Connect JSON fast path: Any resolved from the catalog.
  const jsonOptions = { registry: catalog.registry };
  for (const pc of config.pools) {
    if (!pc.enabled) continue;
    const desc = catalog.service(pc.service);
    if (!desc) throw new ConnectError(`pool for ${pc.service}: no descriptor of that service is known (gen/ts or descriptorSets)`, Code.InvalidArgument);
    const pool = new Pool(pc, metrics);
    pools.push(pool);
    services.push(desc);
    for (const m of desc.methods) {
      const route = makeRoute(m, pool, config, metrics, jsonOptions);
      routes.set(route.path, route);
    }
  }

  const isReady = () => pools.every((p) => p.ready);
  let draining = false;

  // connect-node: Connect, gRPC-Web, gRPC over HTTP/1.1, and the gateway's own services.
  let rpcPaths = new Set<string>();
  const adapter = connectNodeAdapter({
    readMaxBytes: config.maxRequestBytes,
    writeMaxBytes: config.maxResponseBytes,
    jsonOptions,
    acceptCompression: [compressionGzip],
    routes(router) {
      for (const route of routes.values()) registerDecoded(router, route);
      registerHealth(router, {
        status(service) {
          if (service === "") return isReady() && !draining ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
          const pool = pools.find((p) => p.service === service);
          if (pool) return pool.ready && !draining ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
          if (service === "grpc.health.v1.Health" || service.startsWith("grpc.reflection.")) return ServingStatus.SERVING;
          return undefined;
        },
      });
      registerReflection(router, catalog, () => [...services, ...[healthV1File, reflectionV1File, reflectionV1alphaFile].flatMap((f) => f.services)]);
      rpcPaths = new Set(router.handlers.map((h) => h.requestPath));
    },
  });

  const cors = createCors(config.cors);
  const lookup = (path: string) => routes.get(path);
  const transport = createPoolTransport(lookup);
  const handlers: HttpHandler[] = [];
  const notFound = (res: NodeResponse) => {
    res.writeHead(404, { "content-type": "text/plain", "x-content-type-options": "nosniff" });
    res.end("not found\n");
  };

  const handle = (req: NodeRequest, res: NodeResponse): void => {
    if (cors.enabled && cors.handle(req, res)) return;
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.substring(0, q);
    if (rpcPaths.has(path)) {
      // Plain Connect unary and server-streaming calls take the relays (proxy/connect-unary.ts, connect-stream.ts).
      const route = req.method === "POST" ? routes.get(path) : undefined;
      if (route !== undefined && takesConnectUnaryFastPath(route, req)) {
        proxyConnectUnary(route, req, res);
        return;
      }
      if (route !== undefined && takesConnectStreamFastPath(route, req)) {
        proxyConnectStream(route, req, res);
        return;
      }
      // connect-node stops reading a request body it rejects (e.g. a message over the size limit). Over
      // HTTP/1.1 the connection cannot be reused after an answer sent before the whole request was read:
      // such an answer closes it.
      if (req.httpVersionMajor === 1) closeIfAnsweredEarly(req as IncomingMessage, res as ServerResponse);
      adapter(req, res);
      return;
    }
    void (async () => {
      for (const h of handlers) if (await h(req, res)) return;
      notFound(res);
    })().catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`internal error: ${(e as Error).message}\n`);
      } else res.destroy();
    });
  };

  /** gRPC (protobuf codec) over HTTP/2 to a routed method: the raw relay, no decoding. */
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean => {
    if (headers[":method"] !== "POST" || !isRawGrpc(headers["content-type"])) return false;
    const path = headers[":path"] ?? "/";
    const route = routes.get(path);
    if (route) {
      proxyRawGrpc(route, stream, headers);
      return true;
    }
    if (!rpcPaths.has(path)) {
      rejectRawGrpc(stream, new ConnectError(`${path} is not a method this gateway serves`, Code.Unimplemented));
      return true;
    }
    return false;
  };

  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (config.tls) tls = { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
  const keepAliveSessions = (session: ServerHttp2Session) => {
    if (config.streamKeepAliveMs <= 0) return;
    // While streams are open, PING the client so idle streams are not cut by intermediaries' timers.
    const t = setInterval(() => {
      if (session.closed || session.destroyed) return;
      session.ping(() => {});
    }, config.streamKeepAliveMs);
    t.unref();
    session.on("close", () => clearInterval(t));
  };

  for (const p of pools) p.start();
  const listener: Listener = await listen({
    host: config.host,
    port: config.port,
    tls,
    handler: handle,
    onStream,
    onSession: keepAliveSessions,
    classifyTimeoutMs: config.timeouts.protocolMs,
    headersTimeoutMs: config.timeouts.headersMs,
    http2IdleTimeoutMs: config.timeouts.http2IdleMs,
  });

  const gateway: Gateway = {
    port: listener.port,
    services,
    transport,
    transportFor: (protocol) => createPoolTransport(lookup, protocol),
    pools,
    metrics,
    catalog,
    ready: () => isReady() && !draining,
    async waitReady(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!isReady()) {
        if (Date.now() > until) throw new Error(`gateway not ready after ${timeoutMs} ms: ${JSON.stringify(readiness(pools).pools)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close(graceMs = 5000) {
      draining = true;
      await listener.close(graceMs);
      for (const p of pools) p.close();
    },
  };
  handlers.push(createEndpointsHandler(() => pools, metrics, () => draining));
  handlers.push(...(opts.httpHandlers?.(gateway) ?? []));
  handlers.push(createStaticHandler(config.staticDir));
  return gateway;
}
