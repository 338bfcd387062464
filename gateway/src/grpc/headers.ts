/**
 * Which request and response headers cross the gateway, and the gRPC/Connect timeout formats.
 * Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the gateway itself owns are dropped; everything
 * else, `-bin` metadata included, passes through unchanged.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";

/** Headers never forwarded in either direction. */
export const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "http2-settings",
]);

/**
 * Headers the gateway sets itself, per protocol: not copied from the client to the worker. The client's
 * `user-agent` is copied (the worker logs who called; gRPC-Web's `x-user-agent` is the browser library's).
 */
export const GATEWAY_OWNED_REQUEST = new Set([
  "content-type",
  "grpc-timeout",
  "connect-timeout-ms",
  "connect-protocol-version",
  "connect-content-encoding",
  "connect-accept-encoding",
  "content-encoding",
  "accept-encoding",
  "grpc-encoding",
  "grpc-accept-encoding",
  "x-grpc-web",
  "x-user-agent",
  "origin",
  "access-control-request-method",
  "access-control-request-headers",
]);

/** Response headers the gateway sets itself (status, framing and encoding belong to the client's protocol). */
export const GATEWAY_OWNED_RESPONSE = new Set([
  "content-type",
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  "grpc-encoding",
  "grpc-accept-encoding",
  "content-encoding",
  "accept-encoding",
  "date",
  "server",
]);

/** True when a request header may be forwarded upstream. */
export function forwardableRequestHeader(name: string): boolean {
  return name[0] !== ":" && !HOP_BY_HOP.has(name) && !GATEWAY_OWNED_REQUEST.has(name);
}

/** True when a response header or trailer from a worker may be relayed to the client. */
export function forwardableResponseHeader(name: string): boolean {
  return name[0] !== ":" && !HOP_BY_HOP.has(name) && !GATEWAY_OWNED_RESPONSE.has(name);
}

/** Copies the forwardable request metadata of incoming Node headers into outgoing HTTP/2 headers. */
export function copyRequestMetadata(from: IncomingHttpHeaders, to: OutgoingHttpHeaders): void {
  for (const name in from) {
    if (!forwardableRequestHeader(name)) continue;
    const v = from[name];
    if (v !== undefined) to[name] = v;
  }
}

/** Copies forwardable response metadata from HTTP/2 headers into a Fetch Headers object. */
export function copyResponseMetadata(from: IncomingHttpHeaders, to: Headers): void {
  for (const name in from) {
    if (!forwardableResponseHeader(name)) continue;
    const v = from[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) to.append(name, x);
    else to.append(name, v);
  }
}

const GRPC_TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** Parses a grpc-timeout header to milliseconds; undefined when absent, NaN when malformed. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return Number.NaN;
  return Number(m[1]) * GRPC_TIMEOUT_UNITS[m[2]!]!;
}

/** Formats milliseconds as a grpc-timeout header (at most 8 digits, as the spec requires). */
export function formatGrpcTimeout(ms: number): string {
  const v = Math.max(0, Math.ceil(ms));
  if (v < 1e8) return `${v}m`;
  if (v / 1000 < 1e8) return `${Math.ceil(v / 1000)}S`;
  return `${Math.ceil(v / 60_000)}M`;
}
