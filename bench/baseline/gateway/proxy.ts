import http from "node:http";

/** Options of the baseline gateway's reverse proxy. */
export interface ProxyOptions {
  /** The default worker's base URL, e.g. `http://127.0.0.1:50061`. */
  upstream: string;
  /** Path prefixes served by other workers, e.g. `{ "/v1/embeddings": "http://127.0.0.1:50062" }`. */
  routes?: Record<string, string>;
  /** Most sockets kept open to each worker (the pool size); default: unbounded, like the mesh's HTTP/2 pool. */
  maxSockets?: number;
}

interface Upstream {
  prefix: string;
  host: string;
  port: string;
  agent: http.Agent;
}

function upstreamOf(prefix: string, url: string, maxSockets: number): Upstream {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 30_000, maxSockets, maxFreeSockets: 1024, scheduling: "lifo" });
  return { prefix, host: target.hostname, port: target.port, agent };
}

/** Request headers the gateway passes on; everything else (hop-by-hop, host) is dropped. */
const FORWARDED_REQUEST_HEADERS = ["content-type", "content-length", "accept", "authorization", "traceparent"];
/** Response headers the gateway passes back. */
const FORWARDED_RESPONSE_HEADERS = ["content-type", "content-length", "cache-control", "x-accel-buffering"];

/**
 * Builds the request handler of the ADR-006 gateway: a plain HTTP/JSON reverse proxy with a pooled
 * keep-alive upstream agent. Bodies are streamed both ways without being parsed, so an SSE token stream
 * flows through event by event, and a client that goes away aborts the upstream request.
 *
 * @example
 *   const handler = createProxyHandler({ upstream: "http://127.0.0.1:50061" });
 *   http.createServer(handler).listen(8081);
 */
export function createProxyHandler(opts: ProxyOptions): http.RequestListener {
  const maxSockets = opts.maxSockets ?? Infinity;
  const fallback = upstreamOf("", opts.upstream, maxSockets);
  const routes = Object.entries(opts.routes ?? {}).map(([prefix, url]) => upstreamOf(prefix, url, maxSockets));
  return (req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"SERVING"}');
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const url = req.url ?? "/";
    const target = routes.find((r) => url.startsWith(r.prefix)) ?? fallback;
    const upstream = http.request(
      {
        agent: target.agent,
        host: target.host,
        port: target.port,
        method: req.method,
        path: url,
        headers,
      },
      (up) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const name of FORWARDED_RESPONSE_HEADERS) {
          const value = up.headers[name];
          if (value !== undefined) out[name] = value;
        }
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
        up.on("error", () => res.destroy());
      },
    );
    upstream.setNoDelay(true);
    upstream.on("error", (err) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res
        .writeHead(502, { "content-type": "application/json" })
        .end(JSON.stringify({ code: "unavailable", message: `worker unreachable: ${err.message}` }));
    });
    // A client that disconnects before the response is complete cancels the upstream call.
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };
}
