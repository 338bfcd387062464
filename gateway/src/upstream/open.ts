/**
 * Opens a gRPC call to a replica of a pool over its reused HTTP/2 connection, choosing the replica by
 * least outstanding requests and retrying on another one when that is safe:
 *
 * - the connection to the replica failed before the call was sent, or the replica refused the stream
 *   (REFUSED_STREAM): nothing ran, so any method is retried;
 * - the call failed in transport after it was sent, or the replica answered UNAVAILABLE with no data:
 *   retried only for idempotent unary methods, within the pool's retry budget.
 *
 * Every opened call holds a lease on its replica; {@link UpstreamCall.finish} returns it exactly once with
 * what the replica's breaker should learn.
 */
import * as http2 from "node:http2";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Lease, Outcome } from "../pool/pool.js";
import type { Replica } from "../pool/replica.js";
import type { Route } from "./route.js";

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;

/** An upstream call whose response headers have arrived (or, for streamed requests, just opened). */
export class UpstreamCall {
  private done = false;
  /** Set when the worker's trailers (or a trailers-only response) were received. */
  gotStatus = false;
  /** The last error the stream reported. */
  lastError: Error | undefined;

  constructor(readonly stream: http2.ClientHttp2Stream, readonly lease: Lease) {}

  /** Cancels the upstream call (client gone, deadline passed) and returns the lease. */
  cancel(): void {
    if (!this.stream.closed && !this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
    this.finish("cancelled");
  }

  /** Returns the lease with the call's outcome (only the first call counts). */
  finish(outcome: Outcome): void {
    if (this.done) return;
    this.done = true;
    this.lease.release(outcome);
  }
}

/** Builds the ConnectError for a transport failure of an upstream call. */
export function transportError(route: Route, replica: Replica, err: Error | undefined, rstCode: number | undefined): ConnectError {
  const why = err?.message ?? (rstCode ? `stream reset with HTTP/2 code ${rstCode}` : "connection closed");
  return new ConnectError(`${route.pool.service} replica ${replica.address} failed: ${why}`, Code.Unavailable);
}

function isTrailersOnlyUnavailable(h: IncomingHttpHeaders): boolean {
  return h["grpc-status"] === "14";
}

interface OpenOptions {
  /** The whole request body (one enveloped message) for unary and server-streaming methods: enables retries. */
  body?: Buffer;
  signal?: AbortSignal;
}

/**
 * Opens the call. With a body, resolves once response headers arrive, after any retries. Without one
 * (client- and bidi-streaming), resolves at once with the stream, whose request side the caller writes.
 * Rejects with UNAVAILABLE (no replica, transport failure), RESOURCE_EXHAUSTED (pool full) or CANCELLED.
 */
export function openUpstream(
  route: Route,
  headers: OutgoingHttpHeaders,
  opts: OpenOptions,
): Promise<{ call: UpstreamCall; response: Promise<IncomingHttpHeaders> }> {
  const tried = new Set<Replica>();
  const pool = route.pool;
  pool.budget.recordCall();
  let attempt = 0;

  const tryOnce = (resolve: (v: { call: UpstreamCall; response: Promise<IncomingHttpHeaders> }) => void, reject: (e: unknown) => void): void => {
    attempt++;
    if (opts.signal?.aborted) {
      reject(new ConnectError("the client cancelled the call", Code.Canceled));
      return;
    }
    let lease: Lease;
    try {
      lease = pool.pick(tried);
    } catch (e) {
      reject(e);
      return;
    }
    const replica = lease.replica;
    tried.add(replica);
    const wasConnected = replica.isConnected;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = replica.connection().request(headers, { endStream: false });
    } catch (e) {
      lease.release("refused");
      retryOrFail(true, transportError(route, replica, e as Error, undefined));
      return;
    }
    const call = new UpstreamCall(stream, lease);
    // Stream errors surface through 'close' and rstCode; an unhandled 'error' would end the process.
    stream.on("error", (e) => {
      call.lastError = e;
    });

    function retryOrFail(refused: boolean, err: ConnectError): void {
      const canRetry =
        opts.body !== undefined &&
        !opts.signal?.aborted &&
        (refused ? tried.size < pool.replicas.length : route.idempotent && attempt < pool.cfg.retry.maxAttempts) &&
        pool.budget.tryRetry();
      if (canRetry) {
        route.metrics.retry(pool.service);
        tryOnce(resolve, reject);
      } else reject(err);
    }

    if (opts.body === undefined) {
      // Streamed request: no retry possible once the caller starts writing.
      const response = new Promise<IncomingHttpHeaders>((res, rej) => {
        stream.once("response", (h) => res(h));
        stream.once("close", () => rej(transportError(route, replica, undefined, stream.rstCode)));
      });
      response.catch(() => {});
      resolve({ call, response });
      return;
    }

    let settled = false;
    const onAbort = () => stream.close(NGHTTP2_CANCEL);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    stream.once("response", (h) => {
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      stream.removeListener("close", onEarlyClose);
      if (isTrailersOnlyUnavailable(h) && route.idempotent && attempt < pool.cfg.retry.maxAttempts && !opts.signal?.aborted && pool.budget.tryRetry()) {
        call.gotStatus = true;
        call.finish("failed");
        stream.close(NGHTTP2_CANCEL);
        route.metrics.retry(pool.service);
        tryOnce(resolve, reject);
        return;
      }
      resolve({ call, response: Promise.resolve(h) });
    });
    const onEarlyClose = () => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      const refused = stream.rstCode === NGHTTP2_REFUSED_STREAM || (!wasConnected && !replica.isConnected);
      call.finish(opts.signal?.aborted ? "cancelled" : refused ? "refused" : "failed");
      if (opts.signal?.aborted) reject(new ConnectError("the client cancelled the call", Code.Canceled));
      else retryOrFail(refused, transportError(route, replica, call.lastError, stream.rstCode));
    };
    stream.once("close", onEarlyClose);
    stream.end(opts.body);
  };

  return new Promise((resolve, reject) => tryOnce(resolve, reject));
}
