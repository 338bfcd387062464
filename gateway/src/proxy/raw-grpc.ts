/**
 * The gRPC → gRPC fast path: a call that arrives as gRPC over HTTP/2 is forwarded to a worker as raw
 * length-prefixed frames, never decoded or re-encoded. Headers, `-bin` metadata, compression and
 * trailers pass through (minus hop-by-hop and gateway-owned headers); the deadline is enforced here and
 * sent upstream as the remaining time; a client reset cancels the upstream stream; response data is
 * relayed chunk by chunk with backpressure (a slow client pauses the upstream stream, and HTTP/2 flow
 * control pauses the worker). Message sizes are checked on the frame headers as bytes go by (and on the
 * decompressed size of compressed requests).
 *
 * This is the hot path: callbacks rather than promises, no per-call AbortController, label children of
 * metrics looked up once.
 */
import * as http2 from "node:http2";
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { checkDecompressedSize, FLAG_COMPRESSED, FrameSizeWatcher, FrameSplitter, FrameTooLargeError } from "../grpc/frames.js";
import { copyRequestMetadata, forwardableResponseHeader, formatGrpcTimeout, parseGrpcTimeout } from "../grpc/headers.js";
import { endedInsideMessage, statusFromError, statusToTrailers } from "../grpc/status.js";
import type { GrpcStatus } from "../grpc/status.js";
import { openUpstreamBuffered, openUpstreamStreaming } from "../upstream/open.js";
import type { UpstreamCall } from "../upstream/open.js";
import { effectiveTimeout } from "../upstream/route.js";
import type { Route } from "../upstream/route.js";
import { Chunks } from "./chunks.js";

const { NGHTTP2_CANCEL } = http2.constants;

/** Message encodings grpcio workers accept. */
export const WORKER_ENCODINGS = ["identity", "gzip", "deflate"];

const STATUS_KEYS = ["grpc-status", "grpc-message", "grpc-status-details-bin"] as const;
const noop = () => {};

function filterResponse(h: IncomingHttpHeaders, out: OutgoingHttpHeaders): void {
  for (const name in h) if (forwardableResponseHeader(name)) out[name] = h[name];
}

/**
 * Checks a whole request body of a unary or server-streaming call: exactly one complete message, within
 * the size limit (decompressed, when compressed). Returns the status to fail with, or undefined.
 */
function checkSingleMessage(body: Buffer, route: Route, encoding: string | undefined): GrpcStatus | undefined {
  let count = 0;
  let off = 0;
  while (off < body.byteLength) {
    if (body.byteLength - off < 5) return { code: Code.Internal, message: "request ended in the middle of a message", details: [] };
    const len = body.readUInt32BE(off + 1);
    if (len > route.maxRequestBytes) return { code: Code.ResourceExhausted, message: `request message of ${len} bytes is larger than the limit of ${route.maxRequestBytes} bytes`, details: [] };
    if (body.byteLength - off - 5 < len) return { code: Code.Internal, message: "request ended in the middle of a message", details: [] };
    if (body[off]! & FLAG_COMPRESSED && encoding !== undefined) {
      try {
        checkDecompressedSize(encoding, body.subarray(off + 5, off + 5 + len), route.maxRequestBytes);
      } catch (e) {
        return { code: Code.ResourceExhausted, message: `request ${(e as Error).message}`, details: [] };
      }
    }
    count++;
    off += 5 + len;
  }
  if (count !== 1) return { code: Code.Unimplemented, message: `${route.method.name} takes exactly one request message, got ${count}`, details: [] };
  return undefined;
}

const responseTooLarge = (len: number, limit: number): GrpcStatus => ({
  code: Code.ResourceExhausted,
  message: `response ${new FrameTooLargeError(len, limit).message}`,
  details: [],
});

/** Relays one gRPC call received on an HTTP/2 stream to the route's pool. */
export function proxyRawGrpc(route: Route, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const stats = (route.grpcStats ??= route.metrics.method(route.pool.service, route.method.name, "grpc"));
  const t0 = stats.begin();
  let headersSent = false;
  let finished = false;
  let upstream: UpstreamCall | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pendingTrailers: OutgoingHttpHeaders | undefined;
  let clientGone = false;

  const finish = (code: Code | 0) => {
    if (finished) return;
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    stats.end(t0, code);
  };

  /** Ends the client's call with a status produced by the gateway. */
  const fail = (status: GrpcStatus) => {
    if (finished) return;
    finish(status.code);
    if (stream.destroyed || stream.closed) return;
    if (!headersSent) {
      headersSent = true;
      stream.respond({ ":status": 200, "content-type": "application/grpc", ...statusToTrailers(status) }, { endStream: true });
    } else {
      pendingTrailers = statusToTrailers(status);
      stream.end();
    }
  };
  stream.on("error", noop); // a client reset shows up as 'close'
  stream.on("wantTrailers", () => stream.sendTrailers(pendingTrailers ?? { "grpc-status": "0" }));

  // Request encodings the workers cannot read are refused here, with the list, as gRPC says.
  const encoding = headers["grpc-encoding"] as string | undefined;
  if (encoding !== undefined && !WORKER_ENCODINGS.includes(encoding)) {
    headersSent = true;
    finish(Code.Unimplemented);
    stream.respond(
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-accept-encoding": WORKER_ENCODINGS.join(","),
        ...statusToTrailers({ code: Code.Unimplemented, message: `unsupported grpc-encoding "${encoding}"`, details: [] }),
      },
      { endStream: true },
    );
    return;
  }
  const compressedRequests = encoding !== undefined && encoding !== "identity" ? encoding : undefined;

  // Deadline.
  const rawTimeout = headers["grpc-timeout"] as string | undefined;
  const clientTimeout = rawTimeout === undefined ? undefined : parseGrpcTimeout(rawTimeout);
  if (clientTimeout !== undefined && Number.isNaN(clientTimeout)) {
    fail({ code: Code.InvalidArgument, message: `malformed grpc-timeout "${rawTimeout}"`, details: [] });
    return;
  }
  const timeoutMs = effectiveTimeout(route, clientTimeout);
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      clientGone = true;
      upstream?.cancel();
      fail({ code: Code.DeadlineExceeded, message: `deadline of ${timeoutMs} ms exceeded`, details: [] });
    }, timeoutMs);
  }

  // The client went away: cancel upstream.
  stream.on("close", () => {
    if (finished) return;
    clientGone = true;
    upstream?.cancel();
    finish(Code.Canceled);
  });

  const upHeaders: OutgoingHttpHeaders = {
    ":method": "POST",
    ":path": route.path,
    "content-type": headers["content-type"],
    te: "trailers",
  };
  copyRequestMetadata(headers, upHeaders);
  if (encoding !== undefined) upHeaders["grpc-encoding"] = encoding;
  if (headers["grpc-accept-encoding"] !== undefined) upHeaders["grpc-accept-encoding"] = headers["grpc-accept-encoding"];
  const setTimeoutHeader = () => {
    if (deadline !== undefined) upHeaders["grpc-timeout"] = formatGrpcTimeout(deadline - Date.now());
  };

  const unaryResponse = route.method.methodKind === "unary" || route.method.methodKind === "client_streaming";
  const relayResponse = (call: UpstreamCall, h: IncomingHttpHeaders) => {
    const up = call.stream;
    if (finished || stream.closed) {
      call.cancel();
      return;
    }
    const status = h["grpc-status"];
    const out: OutgoingHttpHeaders = { ":status": 200, "content-type": (h["content-type"] as string | undefined) ?? "application/grpc" };
    filterResponse(h, out);
    if (status !== undefined) {
      // Trailers-only response: relay as trailers-only; an OK one is no answer to a unary method.
      call.gotStatus = true;
      call.finish("ok");
      if (unaryResponse && status === "0") {
        fail({ code: Code.Unimplemented, message: `protocol error: worker sent no message for a ${route.method.methodKind.replace("_", "-")} method`, details: [] });
        return;
      }
      for (const k of STATUS_KEYS) if (h[k] !== undefined) out[k] = h[k];
      headersSent = true;
      finish(Number(status) as Code);
      stream.respond(out, { endStream: true });
      return;
    }
    if (h["grpc-encoding"] !== undefined) out["grpc-encoding"] = h["grpc-encoding"];
    if (h["grpc-accept-encoding"] !== undefined) out["grpc-accept-encoding"] = h["grpc-accept-encoding"];
    headersSent = true;
    stream.respond(out, { waitForTrailers: true });
    // Trailers arrive with the end of the stream, possibly before buffered data has been read (the
    // stream may be paused for backpressure): keep them, and end the client's call on 'end'.
    let trailers: IncomingHttpHeaders | undefined;
    up.on("trailers", (t: IncomingHttpHeaders) => {
      trailers = t;
    });
    up.on("close", () => {
      if (finished) return;
      call.finish(up.rstCode === NGHTTP2_CANCEL && clientGone ? "cancelled" : "failed");
      const why = call.lastError?.message ?? (up.rstCode ? `stream reset with HTTP/2 code ${up.rstCode}` : "ended without a status");
      fail({ code: Code.Unavailable, message: `${route.pool.service} replica ${call.lease.replica.address} failed: ${why}`, details: [] });
    });
    /** Takes the worker's status from its trailers; false when there is none. */
    const takeStatus = (): boolean => {
      if (finished || trailers === undefined || trailers["grpc-status"] === undefined) return false;
      call.gotStatus = true;
      call.finish("ok");
      const t: OutgoingHttpHeaders = {};
      filterResponse(trailers, t);
      for (const k of STATUS_KEYS) if (trailers[k] !== undefined) t[k] = trailers[k];
      pendingTrailers = t;
      finish(Number(trailers["grpc-status"]) as Code);
      return true;
    };

    if (unaryResponse) {
      // One response message: collected (bounded by the size limit) and written with the end of the
      // stream, one write instead of a write and an end.
      const response = new Chunks();
      up.on("data", (chunk: Buffer) => {
        if (finished) return;
        response.add(chunk);
        const first = response.head!;
        if (response.size > route.maxResponseBytes + 5 || (first.byteLength >= 5 && first.readUInt32BE(1) > route.maxResponseBytes)) {
          call.cancel();
          const declared = response.frames().largest;
          fail(responseTooLarge(declared > route.maxResponseBytes ? declared : response.size, route.maxResponseBytes));
        }
      });
      up.on("end", () => {
        if (finished) return;
        // Checked across the chunks as they came, and written on as those chunks: no copy of the body.
        const layout = response.frames();
        if (layout.largest > route.maxResponseBytes) {
          call.cancel();
          fail(responseTooLarge(layout.largest, route.maxResponseBytes));
          return;
        }
        if (layout.unfinished > 0) {
          call.cancel();
          fail(endedInsideMessage(layout.unfinished));
          return;
        }
        // An OK answer to a call with one response message carries exactly one (as connect-node checks).
        if (trailers?.["grpc-status"] === "0" && layout.whole !== 1) {
          call.cancel();
          fail({ code: Code.Unimplemented, message: `protocol error: worker sent ${layout.whole === 0 ? "no message" : "more than one message"} for a ${route.method.methodKind.replace("_", "-")} method`, details: [] });
          return;
        }
        if (!takeStatus()) return;
        if (stream.closed) return;
        if (stream.destroyed) stream.end();
        else response.endInto(stream);
      });
      return;
    }

    let resWatcher: FrameSizeWatcher | undefined;
    up.on("data", (chunk: Buffer) => {
      if (finished) return;
      try {
        (resWatcher ??= new FrameSizeWatcher(route.maxResponseBytes)).inspect(chunk);
      } catch (e) {
        call.cancel();
        if (e instanceof FrameTooLargeError) fail({ code: Code.ResourceExhausted, message: `response ${e.message}`, details: [] });
        return;
      }
      if (stream.writableEnded || stream.destroyed) return;
      if (!stream.write(chunk)) {
        up.pause();
        stream.once("drain", () => up.resume());
      }
    });
    up.on("end", () => {
      if (finished) return;
      if (resWatcher !== undefined && !resWatcher.atBoundary) {
        // The partial message already went out; the client's call ends with an error, not OK.
        call.cancel();
        fail(endedInsideMessage(resWatcher.pendingBytes));
        return;
      }
      if (takeStatus() && !stream.closed) stream.end();
    });
  };

  if (route.method.methodKind === "unary" || route.method.methodKind === "server_streaming") {
    // One request message: read it whole (bounded by the size limit) so the call can be retried.
    const request = new Chunks();
    stream.on("data", (chunk: Buffer) => {
      if (finished) return;
      request.add(chunk);
      if (request.size > route.maxRequestBytes + 5) {
        fail({ code: Code.ResourceExhausted, message: `request larger than the limit of ${route.maxRequestBytes} bytes`, details: [] });
      }
    });
    stream.on("end", () => {
      if (finished) return;
      const body = request.whole();
      const bad = checkSingleMessage(body, route, compressedRequests);
      if (bad) return fail(bad);
      setTimeoutHeader();
      openUpstreamBuffered(
        route,
        upHeaders,
        body,
        { isCancelled: () => clientGone, onStream: (call) => (upstream = call) },
        (err, call, h) => {
          if (err !== undefined) return fail(statusFromError(err));
          relayResponse(call!, h!);
        },
      );
    });
    return;
  }

  // Client- and bidi-streaming: requests flow through as they come, checked frame by frame.
  setTimeoutHeader();
  let opened: ReturnType<typeof openUpstreamStreaming>;
  try {
    opened = openUpstreamStreaming(route, upHeaders);
  } catch (e) {
    fail(statusFromError(e));
    return;
  }
  const call = (upstream = opened.call);
  const up = call.stream;
  const reqWatcher = new FrameSizeWatcher(route.maxRequestBytes);
  const reqSplitter = compressedRequests ? new FrameSplitter(route.maxRequestBytes) : undefined;
  stream.on("data", (chunk: Buffer) => {
    if (finished) return;
    try {
      reqWatcher.inspect(chunk);
      if (reqSplitter) for (const f of reqSplitter.push(chunk)) if (f.flags & FLAG_COMPRESSED) checkDecompressedSize(compressedRequests!, f.data, route.maxRequestBytes);
    } catch (e) {
      call.cancel();
      fail(e instanceof FrameTooLargeError ? { code: Code.ResourceExhausted, message: `request ${e.message}`, details: [] } : statusFromError(e));
      return;
    }
    if (up.writableEnded || up.destroyed) return;
    if (!up.write(chunk)) {
      stream.pause();
      up.once("drain", () => stream.resume());
    }
  });
  stream.on("end", () => {
    if (finished) return;
    if (!reqWatcher.atBoundary) {
      call.cancel();
      fail({ code: Code.Internal, message: "request ended in the middle of a message", details: [] });
      return;
    }
    if (!up.writableEnded && !up.destroyed) up.end();
  });
  opened.response.then(
    (h) => relayResponse(call, h),
    (e: unknown) => {
      call.finish("failed");
      fail(statusFromError(e));
    },
  );
}

/** Answers a gRPC call on an HTTP/2 stream with an error, e.g. for an unknown method. */
export function rejectRawGrpc(stream: ServerHttp2Stream, err: ConnectError): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc", ...statusToTrailers(statusFromError(err)) }, { endStream: true });
}
