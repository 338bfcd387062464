/**
 * CORS for browser clients (connect-web, gRPC-Web), off unless origins are configured. Answers
 * preflight requests and exposes the headers Connect and gRPC-Web clients must read (status, message,
 * details, and any response metadata).
 *
 * @example
 *   const cors = createCors({ allowedOrigins: ["http://localhost:5173"], maxAgeSeconds: 600 });
 *   if (cors.handle(req, res)) return; // preflight answered
 */
import type { NodeRequest, NodeResponse } from "./types.js";

/** Request headers browsers may send to the gateway. */
export const ALLOWED_HEADERS = [
  "content-type",
  "connect-protocol-version",
  "connect-timeout-ms",
  "connect-accept-encoding",
  "connect-content-encoding",
  "grpc-timeout",
  "grpc-accept-encoding",
  "grpc-encoding",
  "x-grpc-web",
  "x-user-agent",
  "authorization",
  "x-agentos-script",
];

/** Response headers browsers may read. */
export const EXPOSED_HEADERS = [
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  "grpc-encoding",
  "connect-content-encoding",
  "content-encoding",
];

/**
 * Methods a preflight allows: every method the REST routes (`google.api.http`: get, put, post, delete,
 * patch) and the RPC protocols (POST, Connect GET) use, plus HEAD and OPTIONS.
 */
export const ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** What a preflight's answer depends on besides the origin. */
const PREFLIGHT_VARY = ["access-control-request-headers", "access-control-request-method"];

export interface Cors {
  /** True when CORS is on. */
  readonly enabled: boolean;
  /**
   * Sets CORS headers on the response; answers preflights. Returns true when the request is done.
   * When CORS is on, every response gets `Vary: Origin` (also for an absent or refused origin, so a
   * cache never hands one origin's answer to another), and a preflight also varies on
   * `Access-Control-Request-Headers` and `Access-Control-Request-Method`.
   */
  handle(req: NodeRequest, res: NodeResponse): boolean;
}

/** Adds `names` to the response's `Vary` header, keeping what is there and listing each name once. */
export function appendVary(res: NodeResponse, ...names: string[]): void {
  const prior = res.getHeader("vary");
  const list = prior === undefined ? [] : (Array.isArray(prior) ? prior.join(",") : String(prior)).split(",").map((v) => v.trim()).filter((v) => v !== "");
  const have = new Set(list.map((v) => v.toLowerCase()));
  for (const n of names) if (!have.has(n.toLowerCase())) {
    list.push(n);
    have.add(n.toLowerCase());
  }
  res.setHeader("vary", list.join(", "));
}

/**
 * Creates the CORS module; with no origins it does nothing. `methods` (default {@link ALLOWED_METHODS})
 * is what preflights allow; pass a longer list for REST routes with custom HTTP methods.
 */
export function createCors(opts: { allowedOrigins: string[]; maxAgeSeconds: number; methods?: string[] }): Cors {
  const any = opts.allowedOrigins.includes("*");
  const allowed = new Set(opts.allowedOrigins);
  const methods = (opts.methods ?? ALLOWED_METHODS).join(", ");
  return {
    enabled: opts.allowedOrigins.length > 0,
    handle(req, res) {
      if (allowed.size === 0) return false;
      const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
      appendVary(res, "origin", ...(preflight ? PREFLIGHT_VARY : []));
      const origin = req.headers.origin;
      if (typeof origin !== "string" || (!any && !allowed.has(origin))) return false;
      res.setHeader("access-control-allow-origin", any ? "*" : origin);
      res.setHeader("access-control-expose-headers", EXPOSED_HEADERS.join(", "));
      if (preflight) {
        const requested = req.headers["access-control-request-headers"];
        res.setHeader("access-control-allow-methods", methods);
        res.setHeader("access-control-allow-headers", typeof requested === "string" && requested !== "" ? requested : ALLOWED_HEADERS.join(", "));
        res.setHeader("access-control-max-age", String(opts.maxAgeSeconds));
        res.writeHead(204);
        res.end();
        return true;
      }
      return false;
    },
  };
}
