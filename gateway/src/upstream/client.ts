/**
 * A minimal gRPC client over the pool's connections for calls whose messages the gateway has decoded
 * (Connect, gRPC-Web and JSON clients; the REST transcoder's Transport). It sends and receives encoded
 * message bytes; the caller does the (de)serialisation. Response headers and trailers stay apart so each
 * protocol can put them where it carries them.
 */
import { gunzipSync } from "node:zlib";
import type { ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { encodeFrame, FrameFlagsError, FrameSplitter, FLAG_COMPRESSED, FrameTooLargeError } from "../grpc/frames.js";
import type { Frame } from "../grpc/frames.js";
import { copyResponseMetadata, forwardableRequestHeader, formatGrpcTimeout } from "../grpc/headers.js";
import { endedInsideMessage, statusFromTrailers, statusToError } from "../grpc/status.js";
import { openUpstream, openUpstreamStreaming } from "./open.js";
import type { UpstreamCall } from "./open.js";
import { effectiveTimeout } from "./route.js";
import type { Route } from "./route.js";

/** The caller's side of a call: what a Connect HandlerContext (or a Transport call) provides. */
export interface CallOptions {
  signal: AbortSignal;
  timeoutMs: number | undefined;
  /** Request metadata from the client; hop-by-hop and protocol headers are dropped here. */
  header: Headers;
}

/** A failed upstream call: the status as a ConnectError, with the worker's headers and trailers apart. */
export class UpstreamError extends ConnectError {
  /** Brand: ConnectError's `instanceof` accepts any ConnectError, so subclasses are told apart by this. */
  readonly upstream = true;
  responseHeader = new Headers();
  responseTrailer = new Headers();
}

/** True for an {@link UpstreamError} (not merely any ConnectError). */
export function isUpstreamError(e: unknown): e is UpstreamError {
  return e instanceof ConnectError && (e as Partial<UpstreamError>).upstream === true;
}

function upstreamHeaders(route: Route, opts: CallOptions): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {
    ":method": "POST",
    ":path": route.path,
    "content-type": "application/grpc",
    te: "trailers",
  };
  opts.header.forEach((value, name) => {
    if (!forwardableRequestHeader(name)) return;
    const prev = h[name];
    h[name] = prev === undefined ? value : `${String(prev)}, ${value}`;
  });
  const t = effectiveTimeout(route, opts.timeoutMs);
  if (t !== undefined) h["grpc-timeout"] = formatGrpcTimeout(t);
  return h;
}

function toError(e: unknown, opts: CallOptions): ConnectError {
  if (opts.signal.aborted && opts.signal.reason instanceof ConnectError) return opts.signal.reason;
  return ConnectError.from(e);
}

/** A streaming response: headers first, then message bytes, then trailers (set once `messages` ends). */
export interface StreamResult {
  header: Headers;
  messages: AsyncIterable<Uint8Array>;
  trailer: Headers;
}

/**
 * Calls a method of any kind. `requests` is one encoded message (unary, server-streaming) or an async
 * iterable of them (client-, bidi-streaming). Resolves when the worker's response headers arrive; a
 * trailers-only error response rejects with an {@link UpstreamError}.
 */
export async function callUpstream(route: Route, opts: CallOptions, requests: Uint8Array | AsyncIterable<Uint8Array>): Promise<StreamResult> {
  const headers = upstreamHeaders(route, opts);
  const single = requests instanceof Uint8Array;
  let opened: { call: UpstreamCall; response: Promise<IncomingHttpHeaders> };
  // Requests the client streams go on a stream of their own, written as they come.
  let streamed: UpstreamCall<ClientHttp2Stream> | undefined;
  try {
    if (single) opened = await openUpstream(route, headers, encodeFrame(0, requests), { signal: opts.signal });
    else {
      const s = openUpstreamStreaming(route, headers);
      [opened, streamed] = [s, s.call];
    }
  } catch (e) {
    throw toError(e, opts);
  }
  const { call } = opened;
  const up = call.stream;
  const onAbort = () => call.cancel();
  opts.signal.addEventListener("abort", onAbort, { once: true });
  // A failure reading the client's requests (e.g. one too large) is the call's error, not the cancel it causes.
  let requestError: ConnectError | undefined;
  if (!single && streamed !== undefined) {
    void pump(requests, streamed).then((e) => {
      requestError = e;
    });
  }
  const failWith = (e: unknown): ConnectError => requestError ?? toError(e, opts);

  let h: IncomingHttpHeaders;
  try {
    h = await opened.response;
  } catch (e) {
    opts.signal.removeEventListener("abort", onAbort);
    call.finish("failed");
    throw failWith(e);
  }
  const header = new Headers();
  copyResponseMetadata(h, header);
  if (h["grpc-status"] !== undefined) {
    opts.signal.removeEventListener("abort", onAbort);
    call.gotStatus = true;
    call.finish("ok");
    const status = statusFromTrailers(h)!;
    if (status.code === 0) return { header: new Headers(), messages: (async function* () {})(), trailer: header };
    const err = new UpstreamError(status.message, status.code as Code);
    err.details = status.details;
    err.responseTrailer = header;
    throw err;
  }
  const compressed = h["grpc-encoding"] !== undefined && h["grpc-encoding"] !== "identity";
  const trailer = new Headers();
  const splitter = new FrameSplitter(route.maxResponseBytes);

  async function* messages(): AsyncGenerator<Uint8Array> {
    let complete = false;
    let trailers: IncomingHttpHeaders | undefined;
    up.once("trailers", (t) => {
      trailers = t;
    });
    try {
      for await (const chunk of up) {
        let frames: Frame[];
        let tooLarge: FrameTooLargeError | undefined;
        try {
          frames = splitter.push(chunk);
        } catch (e) {
          if (!(e instanceof FrameTooLargeError)) throw e;
          [frames, tooLarge] = [e.completed, e]; // the messages before the one too large go out first
        }
        for (const f of frames) {
          if ((f.flags & ~FLAG_COMPRESSED) !== 0) throw new ConnectError(`protocol error: worker sent a ${new FrameFlagsError(f.flags).message}`, Code.Internal);
          if (f.flags & FLAG_COMPRESSED) {
            if (!compressed) throw new ConnectError("worker sent a compressed message without grpc-encoding", Code.Internal);
            const data = gunzipSync(f.data, { maxOutputLength: route.maxResponseBytes });
            yield data;
          } else yield f.data;
        }
        if (tooLarge) throw tooLarge;
      }
      // A response that ends inside a message is the worker's fault, whatever its status says.
      if (splitter.buffered > 0 && !requestError && !opts.signal.aborted) throw new ConnectError(endedInsideMessage(splitter.buffered).message, Code.Internal);
      if (trailers === undefined) {
        if (requestError) throw requestError;
        if (opts.signal.aborted) throw toError(opts.signal.reason, opts);
        throw new ConnectError(`${route.pool.service} replica ${call.lease.replica.address} ended the call without a status`, Code.Unavailable);
      }
      call.gotStatus = true;
      call.finish("ok");
      const status = statusFromTrailers(trailers);
      copyResponseMetadata(trailers, trailer);
      if (status === undefined) throw new ConnectError("worker sent trailers without grpc-status", Code.Internal);
      if (status.code !== 0) {
        const err = new UpstreamError(status.message, status.code as Code);
        err.details = status.details;
        err.responseTrailer = trailer;
        throw err;
      }
      complete = true;
    } catch (e) {
      if (requestError) throw requestError;
      if (e instanceof FrameTooLargeError) throw new ConnectError(`response ${e.message}`, Code.ResourceExhausted);
      if (e instanceof ConnectError) throw e;
      if (opts.signal.aborted) throw toError(opts.signal.reason, opts);
      call.finish("failed");
      throw new ConnectError(`${route.pool.service} replica ${call.lease.replica.address} failed: ${(e as Error).message}`, Code.Unavailable);
    } finally {
      opts.signal.removeEventListener("abort", onAbort);
      if (!complete) call.cancel();
    }
  }
  return { header, messages: messages(), trailer };
}

/** Writes the client's requests upstream; resolves with the error that stopped it, if any. */
async function pump(requests: AsyncIterable<Uint8Array>, call: UpstreamCall<ClientHttp2Stream>): Promise<ConnectError | undefined> {
  const up = call.stream;
  try {
    for await (const m of requests) {
      if (up.destroyed || up.closed || up.writableEnded) return undefined;
      if (!up.write(encodeFrame(0, m))) {
        await new Promise<void>((resolve) => {
          const go = () => {
            up.off("drain", go);
            up.off("close", go);
            resolve();
          };
          up.on("drain", go);
          up.on("close", go);
        });
      }
    }
    if (!up.destroyed && !up.writableEnded) up.end();
    return undefined;
  } catch (e) {
    const err = ConnectError.from(e);
    call.cancel();
    return err;
  }
}

/** Calls a unary or client-streaming method and returns its one response message. */
export async function callUpstreamUnary(
  route: Route,
  opts: CallOptions,
  requests: Uint8Array | AsyncIterable<Uint8Array>,
): Promise<{ header: Headers; trailer: Headers; message: Uint8Array }> {
  const res = await callUpstream(route, opts, requests);
  let message: Uint8Array | undefined;
  try {
    for await (const m of res.messages) {
      if (message !== undefined) throw new ConnectError("protocol error: worker sent more than one message for a unary method", Code.Unimplemented);
      message = m;
    }
  } catch (e) {
    if (isUpstreamError(e)) e.responseHeader = res.header;
    throw e;
  }
  if (message === undefined) throw new ConnectError("protocol error: worker sent no message for a unary method", Code.Unimplemented);
  return { header: res.header, trailer: res.trailer, message };
}
