/**
 * What the proxy needs to know about one routed method: its descriptor, its pool, and the limits and
 * deadline rules that apply to it.
 */
import type { DescMessage, DescMethod, JsonReadOptions, JsonWriteOptions } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { createMethodSerializationLookup } from "@connectrpc/connect/protocol";
import type { MethodSerializationLookup } from "@connectrpc/connect/protocol";
import type { GatewayMetrics, MethodStats } from "../metrics/metrics.js";
import type { Pool } from "../pool/pool.js";

export interface Route {
  method: DescMethod;
  pool: Pool;
  /** "/package.Service/Method" */
  path: string;
  /** Safe to send twice: NO_SIDE_EFFECTS or IDEMPOTENT in the contract. */
  idempotent: boolean;
  maxRequestBytes: number;
  maxResponseBytes: number;
  metrics: GatewayMetrics;
  /** The method's figures for gRPC clients (the raw relay), looked up on its first call. */
  grpcStats?: MethodStats;
  /** The method's figures for the other client protocols, by protocol label (see {@link statsOf}). */
  stats?: Record<string, MethodStats>;
  /**
   * The method's messages in the Connect JSON codec, with the JSON options and size limits connect-node
   * is given, so the Connect relays (proxy/connect-relay.ts) read and write JSON exactly as it would.
   */
  serialization: MethodSerializationLookup<DescMessage, DescMessage>;
}

/** Builds the route of a method served by a pool. */
export function makeRoute(
  method: DescMethod,
  pool: Pool,
  limits: { maxRequestBytes: number; maxResponseBytes: number },
  metrics: GatewayMetrics,
  jsonOptions?: Partial<JsonReadOptions & JsonWriteOptions>,
): Route {
  return {
    method,
    pool,
    path: `/${method.parent.typeName}/${method.name}`,
    idempotent:
      method.methodKind === "unary" &&
      (method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
        method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT),
    maxRequestBytes: limits.maxRequestBytes,
    maxResponseBytes: limits.maxResponseBytes,
    metrics,
    serialization: createMethodSerializationLookup(method as never, undefined, jsonOptions, {
      readMaxBytes: limits.maxRequestBytes,
      writeMaxBytes: limits.maxResponseBytes,
    }),
  };
}

/**
 * The deadline of a call in ms from now: the client's, or the pool's default when it sent none, cut to
 * the pool's maximum. Undefined means no deadline.
 */
export function effectiveTimeout(route: Route, clientMs: number | undefined): number | undefined {
  const { defaultTimeoutMs, maxTimeoutMs } = route.pool.cfg;
  let t = clientMs ?? (defaultTimeoutMs > 0 ? defaultTimeoutMs : undefined);
  if (maxTimeoutMs > 0 && (t === undefined || t > maxTimeoutMs)) t = maxTimeoutMs;
  return t;
}

/**
 * The method's call figures for clients of `protocol` (the `protocol` label of
 * `agentos_gateway_calls_total`: `grpc`, `grpc-web`, `connect`, `rest`, `in-process`), looked up once.
 */
export function statsOf(route: Route, protocol: string): MethodStats {
  const all = (route.stats ??= {});
  return (all[protocol] ??= route.metrics.method(route.pool.service, route.method.name, protocol));
}
