/**
 * What the two Connect → gRPC relays (`connect-unary.ts`, `connect-stream.ts`) share: which timeouts
 * they take, the deadline and the gRPC request headers sent to the worker, the statuses of a worker call
 * that ends without one, the per-call state ({@link ConnectCall}), and the JSON codec's conversions.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { parseContentType } from "@connectrpc/connect/protocol-connect";
import { copyRequestMetadata, formatGrpcTimeout } from "../grpc/headers.js";
import { statusFromError } from "../grpc/status.js";
import type { GrpcStatus } from "../grpc/status.js";
import type { NodeResponse } from "../http/types.js";
import { openUpstreamBuffered } from "../upstream/open.js";
import type { UpstreamCall } from "../upstream/open.js";
import { effectiveTimeout, statsOf } from "../upstream/route.js";
import type { Route } from "../upstream/route.js";
import type { MethodStats } from "../metrics/metrics.js";

const TIMEOUT_RE = /^\d{1,10}$/;

/**
 * The codec of a Connect request, read as connect-node reads its content type, when the request is of
 * the kind a relay serves (`stream`: `application/connect+…`, else unary `application/…`).
 */
export function connectCodec(contentType: string | undefined, stream: boolean): "proto" | "json" | undefined {
  const parsed = parseContentType(contentType ?? null);
  if (parsed === undefined || parsed.stream !== stream) return undefined;
  return parsed.binary ? "proto" : "json";
}

/**
 * A client's message in the Connect JSON codec as protobuf binary for the worker, read by the
 * serializer connect-node would use: a body that is not the request message in JSON raises its
 * InvalidArgument, one over the limit its ResourceExhausted.
 */
export function jsonToBinary(route: Route, json: Uint8Array): Uint8Array {
  return toBinary(route.method.input, route.serialization.getI(false).parse(json));
}

/**
 * The worker's message as Connect JSON for the client. A message that does not decode is the worker's
 * fault (Internal, with the decoded path's message); one too large as JSON raises connect-node's error.
 */
export function binaryToJson(route: Route, bytes: Uint8Array): Uint8Array {
  let message;
  try {
    message = fromBinary(route.method.output, bytes);
  } catch (e) {
    throw new ConnectError(`cannot decode the worker's ${route.method.output.typeName}: ${(e as Error).message}`, Code.Internal);
  }
  return route.serialization.getO(false).serialize(message);
}

/** An error raised by the conversions above (or any other) as the status the client gets. */
export function statusOf(e: unknown, fallback: Code): GrpcStatus {
  const err = ConnectError.from(e, fallback);
  return { code: err.code, message: err.rawMessage, details: [] };
}

/** A Uint8Array as a Buffer over the same memory. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** True when `connect-timeout-ms` is absent or well formed (a malformed one is left to connect-node). */
export function plainTimeout(h: IncomingHttpHeaders): boolean {
  const timeout = h["connect-timeout-ms"];
  return timeout === undefined || (typeof timeout === "string" && TIMEOUT_RE.test(timeout));
}

/** The call's timeout (the client's, capped by the route's) and its deadline as `Date.now()` time. */
export function connectDeadline(route: Route, h: IncomingHttpHeaders): { timeoutMs?: number; deadline?: number } {
  const raw = h["connect-timeout-ms"] as string | undefined;
  const timeoutMs = effectiveTimeout(route, raw === undefined ? undefined : Number(raw));
  return timeoutMs === undefined ? {} : { timeoutMs, deadline: Date.now() + timeoutMs };
}

/** Headers of the gRPC request to the worker: the method, the client's metadata, the remaining time. */
export function grpcRequestHeaders(route: Route, h: IncomingHttpHeaders, deadline: number | undefined): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ":method": "POST", ":path": route.path, "content-type": "application/grpc", te: "trailers" };
  copyRequestMetadata(h, out);
  if (deadline !== undefined) out["grpc-timeout"] = formatGrpcTimeout(deadline - Date.now());
  return out;
}

/** The status of a worker stream that ended with no grpc-status (`trailers` are what it did send). */
export function endedWithoutStatus(route: Route, call: UpstreamCall, trailers: IncomingHttpHeaders | undefined): GrpcStatus {
  if (trailers !== undefined) return { code: Code.Internal, message: "worker sent trailers without grpc-status", details: [] };
  return { code: Code.Unavailable, message: `${route.pool.service} replica ${call.lease.replica.address} ended the call without a status`, details: [] };
}

/** The status of a worker stream that closed before it ended (reset, or its connection failed). */
export function closedEarly(route: Route, call: UpstreamCall): GrpcStatus {
  const up = call.stream;
  const why = call.lastError?.message ?? (up.rstCode ? `stream reset with HTTP/2 code ${up.rstCode}` : "connection closed");
  return { code: Code.Unavailable, message: `${route.pool.service} replica ${call.lease.replica.address} failed: ${why}`, details: [] };
}

/**
 * What a Connect relay keeps for one call: whether it has ended, whether the client went away, the
 * worker call once open. It arms the deadline (`onTimeout` ends the call with DEADLINE_EXCEEDED after
 * the worker call is cancelled) and cancels the worker call when the client goes away first.
 */
export class ConnectCall {
  finished = false;
  clientGone = false;
  upstream: UpstreamCall | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly stats: MethodStats;
  private readonly t0: number;

  constructor(route: Route, res: NodeResponse, timeoutMs: number | undefined, onTimeout: () => void) {
    this.stats = statsOf(route, "connect");
    this.t0 = this.stats.begin();
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.clientGone = true;
        this.upstream?.cancel();
        onTimeout();
      }, timeoutMs);
    }
    res.on("close", () => {
      if (!this.finish(Code.Canceled)) return;
      this.clientGone = true;
      this.upstream?.cancel();
    });
  }

  /**
   * Opens the worker call with the request `body`: `relay` gets it with the worker's response headers,
   * `fail` the status of a call that could not be opened. A call that opens after this one ended (the
   * client left, the deadline passed) is cancelled.
   */
  open(route: Route, headers: OutgoingHttpHeaders, body: Buffer, fail: (status: GrpcStatus) => void, relay: (call: UpstreamCall, headers: IncomingHttpHeaders) => void): void {
    openUpstreamBuffered(route, headers, body, { isCancelled: () => this.clientGone, onStream: (call) => (this.upstream = call) }, (err, call, rh) => {
      if (err !== undefined) return fail(statusFromError(err));
      if (this.finished) return call!.cancel();
      relay(call!, rh!);
    });
  }

  /** Marks the call ended with `code` (counted in the metrics) and disarms the deadline; false when it had already ended. */
  finish(code: Code | 0): boolean {
    if (this.finished) return false;
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stats.end(this.t0, code);
    return true;
  }
}
