/**
 * What crosses between HTTP headers and RPC metadata for REST calls.
 *
 * Request → upstream: credentials (`authorization`, `x-api-key`), trace context (`traceparent`,
 * `tracestate`, `baggage`), `x-request-id`, `user-agent`, any header named in the `forwardHeaders` option,
 * and every `grpc-metadata-<name>` header as `<name>` (the grpc-gateway convention). Nothing else: hop-by-hop
 * and content headers describe the HTTP exchange, not the call.
 *
 * Deadline: `grpc-timeout` (gRPC syntax, e.g. `5S`, `250m`) or `connect-timeout-ms` (milliseconds).
 *
 * Upstream → response: response metadata as `grpc-metadata-<name>` headers and trailers as
 * `grpc-trailer-<name>` (unary calls only; a stream's headers are sent before its trailers exist).
 */
import type { IncomingHttpHeaders } from "node:http";
import { badRequest } from "./errors.js";

const DEFAULT_FORWARD = ["authorization", "x-api-key", "traceparent", "tracestate", "baggage", "x-request-id", "user-agent"];
const METADATA_PREFIX = "grpc-metadata-";
const RESERVED = /^(:|grpc-|connect-|content-|accept|te$|trailer|transfer-encoding$|connection$|keep-alive$|upgrade$|host$|date$|server$|vary$|access-control-)/;

/** Picks the request headers that travel upstream as metadata. */
export function forwardedHeaders(incoming: IncomingHttpHeaders, extra: readonly string[]): Headers {
  const out = new Headers();
  const names = extra.length > 0 ? [...DEFAULT_FORWARD, ...extra.map((n) => n.toLowerCase())] : DEFAULT_FORWARD;
  for (const name of names) {
    const v = incoming[name];
    if (v !== undefined) out.set(name, Array.isArray(v) ? v.join(", ") : v);
  }
  for (const [name, v] of Object.entries(incoming)) {
    if (!name.startsWith(METADATA_PREFIX) || v === undefined) continue;
    const key = name.slice(METADATA_PREFIX.length);
    if (key === "" || RESERVED.test(key)) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.append(key, one);
  }
  return out;
}

const GRPC_TIMEOUT = /^([0-9]{1,8})([HMSmun])$/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** The deadline the client asked for, in milliseconds, or undefined; a malformed value is a 400. */
export function requestTimeoutMs(incoming: IncomingHttpHeaders): number | undefined {
  const grpc = incoming["grpc-timeout"];
  if (typeof grpc === "string") {
    const m = GRPC_TIMEOUT.exec(grpc);
    if (!m) throw badRequest(`malformed grpc-timeout header "${grpc}" (expected e.g. 5S or 250m)`);
    return Math.max(1, Math.ceil(Number(m[1]) * (UNIT_MS[m[2] as string] as number)));
  }
  const connect = incoming["connect-timeout-ms"];
  if (typeof connect === "string") {
    if (!/^[0-9]{1,10}$/.test(connect)) throw badRequest(`malformed connect-timeout-ms header "${connect}"`);
    return Math.max(1, Number(connect));
  }
  return undefined;
}

/** Upstream metadata as response headers: `grpc-metadata-<name>` (or `grpc-trailer-<name>`). */
export function metadataToHeaders(md: Headers, prefix: "grpc-metadata-" | "grpc-trailer-", into: Record<string, string>): void {
  md.forEach((value, name) => {
    if (RESERVED.test(name)) return;
    into[prefix + name] = value;
  });
}
