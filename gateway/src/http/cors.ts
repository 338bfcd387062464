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

export interface Cors {
  /** True when CORS is on. */
  readonly enabled: boolean;
  /** Sets CORS headers on the response; answers preflights. Returns true when the request is done. */
  handle(req: NodeRequest, res: NodeResponse): boolean;
}

/** Creates the CORS module; with no origins it does nothing. */
export function createCors(opts: { allowedOrigins: string[]; maxAgeSeconds: number }): Cors {
  const any = opts.allowedOrigins.includes("*");
  const allowed = new Set(opts.allowedOrigins);
  return {
    enabled: opts.allowedOrigins.length > 0,
    handle(req, res) {
      if (allowed.size === 0) return false;
      const origin = req.headers.origin;
      if (typeof origin !== "string" || (!any && !allowed.has(origin))) return false;
      res.setHeader("access-control-allow-origin", any ? "*" : origin);
      res.setHeader("vary", "origin");
      res.setHeader("access-control-expose-headers", EXPOSED_HEADERS.join(", "));
      if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
        const requested = req.headers["access-control-request-headers"];
        res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
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
