/**
 * Opens a gRPC call to a replica of a pool over its reused HTTP/2 connection, choosing the replica by
 * least outstanding requests and retrying on another one when that is safe:
 *
 * - the connection to the replica failed before the call was sent, or the replica refused the stream
 *   (REFUSED_STREAM): nothing ran, so any method is retried;
 * - the call failed in transport after it was sent, or the replica answered UNAVAILABLE with no data:
 *   retried only for idempotent unary methods, within the pool's retry budget.
 *
 * A retry goes to another replica, never the same one; when no other replica can take the call, the
 * client gets the first replica's own error (its status and message, or the transport failure).
 *
 * Every opened call holds a lease on its replica; {@link UpstreamCall.finish} returns it exactly once with
 * what the replica's breaker should learn.
 */
import * as http2 from "node:http2";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { releaseOnClose } from "../http/release.js";
import { linkable } from "../pool/link.js";
import type { Lease, Outcome } from "../pool/pool.js";
import type { Replica } from "../pool/replica.js";
import type { Route } from "./route.js";

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = http2.constants;

/**
 * What the relays use of an upstream call's stream. An HTTP/2 stream to the worker is one, and so is a
 * call on the worker's link (`LinkStream`, pool/link.ts), which emits the same events: 'response' with
 * the headers, 'data' with each enveloped message, 'trailers', 'end', 'close'; and `rstCode` says how
 * it was cut short.
 */
export interface UpstreamStream {
  /** Set once the call has left the gateway (the HTTP/2 stream id, or the call's id on the link). */
  readonly id?: number | undefined;
  /** The HTTP/2 code the call was reset with, once it is closed. */
  readonly rstCode: number | undefined;
  readonly closed: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  /** Cuts the call short with an HTTP/2 code (the relays send NGHTTP2_CANCEL). */
  close(code: number): void;
  /** Sends the whole request (one enveloped message) and half-closes. */
  end(body: Uint8Array): this;
  pause(): this;
  resume(): this;
  /** The response's bytes as they come (the decoding path reads them this way). */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer>;
  on(event: "response" | "trailers", listener: (headers: IncomingHttpHeaders) => void): this;
  on(event: "data", listener: (chunk: Buffer) => void): this;
  on(event: "end" | "close", listener: () => void): this;
  on(event: "error", listener: (err: Error) => void): this;
  once(event: "response" | "trailers", listener: (headers: IncomingHttpHeaders) => void): this;
  once(event: "data", listener: (chunk: Buffer) => void): this;
  once(event: "end" | "close", listener: () => void): this;
  once(event: "error", listener: (err: Error) => void): this;
  removeListener(event: "close", listener: () => void): this;
  removeAllListeners(): this;
}

/**
 * An upstream call whose response headers have arrived (or, for streamed requests, just opened). Calls
 * whose requests the gateway streams (client- and bidi-streaming) are always HTTP/2 streams (`S`).
 */
export class UpstreamCall<S extends UpstreamStream = UpstreamStream> {
  private done = false;
  /** Set when the worker's trailers (or a trailers-only response) were received. */
  gotStatus = false;
  /** The last error the stream reported. */
  lastError: Error | undefined;
  /** Records stream errors: they surface through 'close' and rstCode; an unhandled 'error' would end the process. */
  readonly onError = (e: Error): void => {
    this.lastError = e;
  };

  constructor(readonly stream: S, readonly lease: Lease) {
    releaseOnClose(stream);
  }

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

interface OpenOptions {
  /** The client's cancellation (the decoding path); the raw relay uses `isCancelled` and `onStream`. */
  signal?: AbortSignal;
  /** Polled before each attempt: true when the client has gone away. */
  isCancelled?: () => boolean;
  /** Told of each upstream stream as it is created, so the caller can cancel it. */
  onStream?: (call: UpstreamCall) => void;
}

/** What an opened call hands back: the call, and its response headers (for streamed requests, a promise). */
export type OpenCallback = (err: unknown, call?: UpstreamCall, headers?: IncomingHttpHeaders) => void;

const CANCELLED = () => new ConnectError("the client cancelled the call", Code.Canceled);

/**
 * Opens a call with a whole request body (unary, server-streaming): calls back once response headers
 * arrive, after any retries, or with the error (UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED).
 * Callback style: this is the gateway's hot path.
 */
export function openUpstreamBuffered(route: Route, headers: OutgoingHttpHeaders, body: Buffer, opts: OpenOptions, done: OpenCallback): void {
  const pool = route.pool;
  pool.budget.recordCall();
  let tried: Set<Replica> | undefined;
  let attempt = 0;
  const cancelled = () => opts.isCancelled?.() === true || opts.signal?.aborted === true;
  // Unary and server-streaming calls with one small uncompressed request go on the replica's worker link
  // when it has one.
  const kind = route.method.methodKind;
  const onLink = pool.cfg.link && (kind === "unary" || kind === "server_streaming") && linkable(headers, body);

  const tryOnce = (): void => {
    attempt++;
    if (cancelled()) return done(CANCELLED());
    let lease: Lease;
    try {
      lease = pool.pick(tried);
    } catch (e) {
      return done(e);
    }
    const replica = lease.replica;
    const retryOrFail = (refused: boolean, err: ConnectError): void => {
      (tried ??= new Set()).add(replica);
      // Only when another replica can take the call: otherwise the client gets this error, not "no healthy replica".
      const canRetry =
        !cancelled() &&
        (refused || (route.idempotent && attempt < pool.cfg.retry.maxAttempts)) &&
        pool.canPick(tried) &&
        pool.budget.tryRetry();
      if (canRetry) {
        route.metrics.retry(pool.service);
        tryOnce();
      } else done(err);
    };
    let stream: UpstreamStream;
    try {
      stream = (onLink ? replica.linkCall(headers, kind === "unary", body.byteLength) : undefined) ?? replica.request(headers, { endStream: false });
    } catch (e) {
      lease.release("refused");
      return retryOrFail(true, transportError(route, replica, e as Error, undefined));
    }
    const call = new UpstreamCall(stream, lease);
    stream.on("error", call.onError);
    opts.onStream?.(call);
    let settled = false;
    const onAbort = opts.signal ? () => stream.close(NGHTTP2_CANCEL) : undefined;
    if (onAbort) opts.signal!.addEventListener("abort", onAbort, { once: true });
    const onEarlyClose = () => {
      if (settled) return;
      settled = true;
      if (onAbort) opts.signal!.removeEventListener("abort", onAbort);
      // Refused: the worker said it did not process the stream (REFUSED_STREAM, or a GOAWAY below its id,
      // which Node reports the same way), or it never left the gateway (no stream id: the connection
      // failed before it opened). Anything else may have run on the worker: not replayed unless idempotent.
      const refused = stream.rstCode === NGHTTP2_REFUSED_STREAM || stream.id === undefined;
      const isCancelled = cancelled();
      call.finish(isCancelled ? "cancelled" : refused ? "refused" : "failed");
      if (isCancelled) done(CANCELLED());
      else retryOrFail(refused, transportError(route, replica, call.lastError, stream.rstCode));
    };
    stream.once("response", (h) => {
      settled = true;
      if (onAbort) opts.signal!.removeEventListener("abort", onAbort);
      stream.removeListener("close", onEarlyClose);
      if (
        h["grpc-status"] === "14" &&
        route.idempotent &&
        attempt < pool.cfg.retry.maxAttempts &&
        !cancelled() &&
        pool.canPick((tried ??= new Set()).add(replica), 1) &&
        pool.budget.tryRetry()
      ) {
        // A trailers-only UNAVAILABLE of an idempotent method: nothing reached the client yet, try another
        // replica (when there is none, the worker's own answer goes to the client).
        call.gotStatus = true;
        call.finish("failed");
        stream.close(NGHTTP2_CANCEL);
        route.metrics.retry(pool.service);
        tryOnce();
        return;
      }
      done(undefined, call, h);
    });
    stream.once("close", onEarlyClose);
    stream.end(body);
  };
  tryOnce();
}

/**
 * Opens a call whose requests the caller streams (client- and bidi-streaming): no retry is possible once
 * writing starts. Resolves at once with the stream and a promise of its response headers.
 */
export function openUpstreamStreaming(route: Route, headers: OutgoingHttpHeaders): { call: UpstreamCall<http2.ClientHttp2Stream>; response: Promise<IncomingHttpHeaders> } {
  route.pool.budget.recordCall();
  const lease = route.pool.pick();
  const replica = lease.replica;
  let stream: http2.ClientHttp2Stream;
  try {
    stream = replica.request(headers, { endStream: false });
  } catch (e) {
    lease.release("refused");
    throw transportError(route, replica, e as Error, undefined);
  }
  const call = new UpstreamCall(stream, lease);
  stream.on("error", call.onError);
  const response = new Promise<IncomingHttpHeaders>((res, rej) => {
    stream.once("response", (h) => res(h));
    stream.once("close", () => rej(transportError(route, replica, call.lastError, stream.rstCode)));
  });
  response.catch(() => {});
  return { call, response };
}

/** Promise form of {@link openUpstreamBuffered}, used by the decoding path. */
export function openUpstream(
  route: Route,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  opts: OpenOptions,
): Promise<{ call: UpstreamCall; response: Promise<IncomingHttpHeaders> }> {
  return new Promise((resolve, reject) =>
    openUpstreamBuffered(route, headers, body, opts, (err, call, h) => (err !== undefined ? reject(err) : resolve({ call: call!, response: Promise.resolve(h!) }))),
  );
}
