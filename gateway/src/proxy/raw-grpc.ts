/**
 * The gRPC → gRPC fast path: a call that arrives as gRPC over HTTP/2 is forwarded to a worker as raw
 * length-prefixed frames, never decoded or re-encoded. Headers, `-bin` metadata, compression and
 * trailers pass through (minus hop-by-hop and gateway-owned headers); the deadline is enforced here and
 * sent upstream as the remaining time; a client reset cancels the upstream stream; response data is
 * relayed chunk by chunk with backpressure (a slow client pauses the upstream stream, and HTTP/2 flow
 * control pauses the worker). Message sizes are checked on the frame headers as bytes go by.
 */
import * as http2 from "node:http2";
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { checkDecompressedSize, FLAG_COMPRESSED, FrameSizeWatcher, FrameSplitter, FrameTooLargeError } from "../grpc/frames.js";
import { copyRequestMetadata, forwardableResponseHeader, formatGrpcTimeout, parseGrpcTimeout } from "../grpc/headers.js";
import { statusFromError, statusToTrailers } from "../grpc/status.js";
import type { GrpcStatus } from "../grpc/status.js";
import { openUpstream } from "../upstream/open.js";
import type { UpstreamCall } from "../upstream/open.js";
import { effectiveTimeout } from "../upstream/route.js";
import type { Route } from "../upstream/route.js";

const { NGHTTP2_CANCEL } = http2.constants;

/** Message encodings grpcio workers accept. */
export const WORKER_ENCODINGS = ["identity", "gzip", "deflate"];

function filterResponse(h: IncomingHttpHeaders, out: OutgoingHttpHeaders): void {
  for (const name in h) if (forwardableResponseHeader(name)) out[name] = h[name];
}

/** Relays one gRPC call received on an HTTP/2 stream to the route's pool. */
export function proxyRawGrpc(route: Route, stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const done = route.metrics.start(route.pool.service, route.method.name, "grpc");
  let headersSent = false;
  let finished = false;
  let upstream: UpstreamCall | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pendingTrailers: OutgoingHttpHeaders | undefined;
  const abort = new AbortController();

  const finish = (code: Code | 0) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(code);
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
  stream.on("error", () => {
    // A client reset shows up as 'close' below; nothing else to do.
  });
  stream.on("wantTrailers", () => {
    stream.sendTrailers(pendingTrailers ?? { "grpc-status": "0" });
  });

  // Deadline.
  const clientTimeout = parseGrpcTimeout(headers["grpc-timeout"] as string | undefined);
  if (clientTimeout !== undefined && Number.isNaN(clientTimeout)) {
    fail({ code: Code.InvalidArgument, message: `malformed grpc-timeout "${String(headers["grpc-timeout"])}"`, details: [] });
    return;
  }
  const timeoutMs = effectiveTimeout(route, clientTimeout);
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      abort.abort();
      upstream?.cancel();
      fail({ code: Code.DeadlineExceeded, message: `deadline of ${timeoutMs} ms exceeded`, details: [] });
    }, timeoutMs);
  }

  // The client went away: cancel upstream.
  stream.on("close", () => {
    if (finished) return;
    abort.abort();
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
  for (const h of ["grpc-encoding", "grpc-accept-encoding", "user-agent"]) if (headers[h] !== undefined) upHeaders[h] = headers[h];

  // Workers (grpcio) accept these request encodings; refuse others here with the list, as gRPC says.
  const encoding = headers["grpc-encoding"];
  if (typeof encoding === "string" && !WORKER_ENCODINGS.includes(encoding)) {
    stream.respond({
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-accept-encoding": WORKER_ENCODINGS.join(","),
      ...statusToTrailers({ code: Code.Unimplemented, message: `unsupported grpc-encoding "${encoding}"`, details: [] }),
    }, { endStream: true });
    finish(Code.Unimplemented);
    return;
  }
  const reqWatcher = new FrameSizeWatcher(route.maxRequestBytes);
  // Compressed requests are split into messages so the limit applies to their decompressed size.
  const reqEncoding = headers["grpc-encoding"];
  const reqSplitter = typeof reqEncoding === "string" && reqEncoding !== "identity" ? new FrameSplitter(route.maxRequestBytes) : undefined;
  /** Checks a request chunk against the size limit; false (and the call failed) when it is too large. */
  const checkRequest = (chunk: Buffer): boolean => {
    try {
      reqWatcher.inspect(chunk);
      if (reqSplitter) {
        for (const f of reqSplitter.push(chunk)) {
          if (f.flags & FLAG_COMPRESSED) checkDecompressedSize(reqEncoding as string, f.data, route.maxRequestBytes);
        }
      }
      return true;
    } catch (e) {
      if (e instanceof FrameTooLargeError) tooLarge(e, "request");
      else fail(statusFromError(e));
      return false;
    }
  };
  const tooLarge = (e: FrameTooLargeError, what: string) =>
    fail({ code: Code.ResourceExhausted, message: `${what} ${e.message}`, details: [] });

  const start = (body: Buffer | undefined) => {
    if (finished) return;
    if (deadline !== undefined) upHeaders["grpc-timeout"] = formatGrpcTimeout(deadline - Date.now());
    openUpstream(route, upHeaders, { body, signal: abort.signal }).then(
      ({ call, response }) => {
        if (finished) {
          call.cancel();
          return;
        }
        upstream = call;
        if (body === undefined) pipeRequest(call);
        response.then((h) => relayResponse(call, h), (e: unknown) => {
          call.finish("failed");
          fail(statusFromError(e));
        });
      },
      (e: unknown) => fail(statusFromError(e)),
    );
  };

  const pipeRequest = (call: UpstreamCall) => {
    const up = call.stream;
    stream.on("data", (chunk: Buffer) => {
      if (finished) return;
      if (!checkRequest(chunk)) {
        call.cancel();
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
  };

  const relayResponse = (call: UpstreamCall, h: IncomingHttpHeaders) => {
    const up = call.stream;
    if (h["grpc-status"] !== undefined) {
      // Trailers-only response: relay as trailers-only.
      call.gotStatus = true;
      call.finish("ok");
      if (finished || stream.closed) return;
      const out: OutgoingHttpHeaders = { ":status": 200, "content-type": (h["content-type"] as string) ?? "application/grpc" };
      filterResponse(h, out);
      for (const k of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) if (h[k] !== undefined) out[k] = h[k];
      headersSent = true;
      finish(Number(h["grpc-status"]) as Code);
      stream.respond(out, { endStream: true });
      return;
    }
    const out: OutgoingHttpHeaders = { ":status": 200, "content-type": (h["content-type"] as string) ?? "application/grpc" };
    filterResponse(h, out);
    if (h["grpc-encoding"] !== undefined) out["grpc-encoding"] = h["grpc-encoding"];
    if (h["grpc-accept-encoding"] !== undefined) out["grpc-accept-encoding"] = h["grpc-accept-encoding"];
    if (finished || stream.closed) return;
    headersSent = true;
    stream.respond(out, { waitForTrailers: true });
    const resWatcher = new FrameSizeWatcher(route.maxResponseBytes);
    up.on("data", (chunk: Buffer) => {
      if (finished) return;
      try {
        resWatcher.inspect(chunk);
      } catch (e) {
        call.cancel();
        if (e instanceof FrameTooLargeError) tooLarge(e, "response");
        return;
      }
      if (stream.writableEnded || stream.destroyed) return;
      if (!stream.write(chunk)) {
        up.pause();
        stream.once("drain", () => up.resume());
      }
    });
    let trailers: IncomingHttpHeaders | undefined;
    up.on("trailers", (t) => {
      trailers = t;
      call.gotStatus = true;
    });
    up.on("close", () => {
      if (finished) return;
      if (trailers !== undefined && trailers["grpc-status"] !== undefined) {
        call.finish("ok");
        const t: OutgoingHttpHeaders = {};
        filterResponse(trailers, t);
        for (const k of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) if (trailers[k] !== undefined) t[k] = trailers[k];
        pendingTrailers = t;
        finish(Number(trailers["grpc-status"]) as Code);
        if (!stream.closed) stream.end();
        return;
      }
      call.finish(up.rstCode === NGHTTP2_CANCEL && abort.signal.aborted ? "cancelled" : "failed");
      const why = call.lastError?.message ?? (up.rstCode ? `stream reset with HTTP/2 code ${up.rstCode}` : "ended without a status");
      fail({ code: Code.Unavailable, message: `${route.pool.service} replica ${call.lease.replica.address} failed: ${why}`, details: [] });
    });
  };

  if (route.method.methodKind === "unary" || route.method.methodKind === "server_streaming") {
    // One request message: read it whole (bounded by the size limit) so the call can be retried.
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      if (finished || !checkRequest(chunk)) return;
      chunks.push(chunk);
      size += chunk.byteLength;
    });
    stream.on("end", () => {
      if (finished) return;
      if (!reqWatcher.atBoundary) {
        fail({ code: Code.Internal, message: "request ended in the middle of a message", details: [] });
        return;
      }
      if (reqWatcher.count !== 1) {
        fail({ code: Code.Unimplemented, message: `${route.method.name} takes exactly one request message, got ${reqWatcher.count}`, details: [] });
        return;
      }
      start(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  } else {
    start(undefined);
  }
}

/** Answers a gRPC call on an HTTP/2 stream with an error, e.g. for an unknown method. */
export function rejectRawGrpc(stream: ServerHttp2Stream, err: ConnectError): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc", ...statusToTrailers(statusFromError(err)) }, { endStream: true });
}
