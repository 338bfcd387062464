/**
 * The Connect → gRPC fast path for unary calls: a Connect unary request in the binary codec is a bare
 * protobuf message and a gRPC request is that message behind a 5-byte prefix, so the call is relayed as
 * bytes, never decoded or re-encoded (the decoded path through connect-node costs ~2.4× the raw gRPC
 * relay per call). In the JSON codec (`application/json`, connect-web's default and what curl sends)
 * the body is converted to and from protobuf here, with the serializers connect-node would use (same
 * JSON options, size limits and error messages), and the rest of the call is the same relay; this
 * skips connect-node's per-call machinery, which costs several times the conversion itself.
 *
 * - request body → one gRPC frame; `connect-timeout-ms` → the deadline (enforced here, sent upstream
 *   as `grpc-timeout`); metadata (`-bin` included) forwarded as for every protocol;
 * - the worker's one response message → the body (gzip-compressed when the client accepts it and it
 *   is at least 1 KiB, as connect-node does); response headers → headers; trailers → `trailer-*`
 *   headers;
 * - a non-OK status (and every error of the gateway itself) → the Connect error JSON with the HTTP
 *   status of its code, details kept.
 *
 * Only plain requests take it ({@link takesConnectUnaryFastPath}): POST, `application/proto` or
 * `application/json`, no request compression, a well-formed timeout, a declared length within the
 * limit. Anything else (GET, compressed bodies, streams) goes to connect-node, which has the same
 * semantics; the answers of both paths match, down to the error messages the decoded path produces for
 * a misbehaving worker.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, contentTypeUnaryJson, contentTypeUnaryProto, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { encodeFrame, FLAG_COMPRESSED, FrameTooLargeError } from "../grpc/frames.js";
import { forwardableResponseHeader } from "../grpc/headers.js";
import { endedInsideMessage, statusFromTrailers } from "../grpc/status.js";
import type { GrpcStatus } from "../grpc/status.js";
import type { NodeRequest, NodeResponse } from "../http/types.js";
import type { UpstreamCall } from "../upstream/open.js";
import { asBuffer, binaryToJson, closedEarly, ConnectCall, connectCodec, connectDeadline, endedWithoutStatus, grpcRequestHeaders, jsonToBinary, plainTimeout, statusOf } from "./connect-relay.js";
import type { Route } from "../upstream/route.js";
import { Chunks } from "./chunks.js";

/** connect-node's default: responses at least this large are compressed when the client accepts it. */
const COMPRESS_MIN_BYTES = 1024;

/** True when a request to `route` can take the fast path (see the module comment). */
export function takesConnectUnaryFastPath(route: Route, req: NodeRequest): boolean {
  if (req.method !== "POST" || route.method.methodKind !== "unary") return false;
  const h = req.headers;
  if (connectCodec(h["content-type"], false) === undefined) return false;
  const enc = h["content-encoding"];
  if (enc !== undefined && enc !== "identity") return false;
  if (!plainTimeout(h)) return false;
  const length = h["content-length"];
  if (length !== undefined && Number(length) > route.maxRequestBytes) return false;
  return true;
}

/** Metadata of an error or a response: headers, and trailers sent as `trailer-*` headers. */
interface Metadata {
  headers?: IncomingHttpHeaders;
  trailers?: IncomingHttpHeaders;
}

function addMetadata(out: OutgoingHttpHeaders, md: Metadata): void {
  if (md.headers) for (const name in md.headers) if (forwardableResponseHeader(name) && md.headers[name] !== undefined) out[name] = md.headers[name];
  if (md.trailers) for (const name in md.trailers) if (forwardableResponseHeader(name) && md.trailers[name] !== undefined) out[`trailer-${name}`] = md.trailers[name];
}

function acceptsGzip(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  for (const part of String(value).split(",")) if (part.trim() === "gzip") return true;
  return false;
}

/** Relays one Connect unary call (binary or JSON codec) to the route's pool as a gRPC call. */
export function proxyConnectUnary(route: Route, req: NodeRequest, res: NodeResponse): void {
  const h = req.headers;
  const json = connectCodec(h["content-type"], false) === "json";
  const gzipOk = acceptsGzip(h["accept-encoding"]);
  const { timeoutMs, deadline } = connectDeadline(route, h);
  const state = new ConnectCall(route, res, timeoutMs, () => fail({ code: Code.DeadlineExceeded, message: "the operation timed out", details: [] }));

  /** Answers with `body`, or with the worker's frame in `chunks` from byte 5 on (not copied, see Chunks). */
  const send = (code: Code | 0, status: number, contentType: string, body: Buffer | Chunks, md: Metadata, early = false) => {
    if (!state.finish(code)) return;
    if (res.headersSent || res.destroyed) return;
    const out: OutgoingHttpHeaders = { "content-type": contentType };
    addMetadata(out, md);
    let length = body instanceof Chunks ? body.size - 5 : body.byteLength;
    if (gzipOk && length >= COMPRESS_MIN_BYTES) {
      body = gzipSync(body instanceof Chunks ? body.whole().subarray(5) : body);
      length = body.byteLength;
      out["content-encoding"] = "gzip";
    }
    out["content-length"] = String(length);
    if (early && req.httpVersionMajor === 1) {
      // Answered before the whole request was read: this HTTP/1.1 connection cannot be reused.
      (res as ServerResponse).shouldKeepAlive = false;
      out.connection = "close";
    }
    res.writeHead(status, out as never);
    if (body instanceof Chunks) body.endInto(res, 5);
    else res.end(body);
  };

  const fail = (status: GrpcStatus, md: Metadata = {}, early = false) => {
    const err = new ConnectError(status.message, status.code === 0 ? Code.Unknown : status.code);
    err.details = status.details.map((d) => ({ type: d.type, value: d.value }));
    send(err.code, codeToHttpStatus(err.code), "application/json", Buffer.from(errorToJsonBytes(err, {})), md, early);
  };

  const request = new Chunks();
  req.on("data", (chunk: Buffer) => {
    if (state.finished) return;
    request.add(chunk);
    if (request.size > route.maxRequestBytes) {
      fail({ code: Code.ResourceExhausted, message: `message size ${request.size} is larger than configured readMaxBytes ${route.maxRequestBytes}`, details: [] }, {}, true);
      (req as IncomingMessage).resume();
      return;
    }
  });
  req.on("end", () => {
    if (state.finished) return;
    let message = request.whole();
    if (json) {
      try {
        message = asBuffer(jsonToBinary(route, message));
      } catch (e) {
        return fail(statusOf(e, Code.InvalidArgument));
      }
    }
    const upHeaders = grpcRequestHeaders(route, h, deadline);
    state.open(route, upHeaders, encodeFrame(0, message), fail, relay);
  });

  const relay = (call: UpstreamCall, rh: IncomingHttpHeaders) => {
    if (rh["grpc-status"] !== undefined) {
      // Trailers-only: an error (its metadata travels as trailers), or OK without the one message.
      call.gotStatus = true;
      call.finish("ok");
      const status = statusFromTrailers(rh)!;
      if (status.code === 0) return fail({ code: Code.Unimplemented, message: "protocol error: worker sent no message for a unary method", details: [] });
      return fail(status, { trailers: rh });
    }
    const up = call.stream;
    const response = new Chunks();
    let trailers: IncomingHttpHeaders | undefined;
    const tooLarge = (len: number) => {
      call.cancel();
      fail({ code: Code.ResourceExhausted, message: `response ${new FrameTooLargeError(len, route.maxResponseBytes).message}`, details: [] });
    };
    up.on("data", (chunk: Buffer) => {
      if (state.finished) return;
      response.add(chunk);
      const head = response.head!;
      if (head.byteLength >= 5 && head.readUInt32BE(1) > route.maxResponseBytes) tooLarge(head.readUInt32BE(1));
      // One message of at most the limit: more bytes than that are never kept, whatever they declare.
      else if (response.size > route.maxResponseBytes + 5) tooLarge(response.size - 5);
    });
    up.on("trailers", (t: IncomingHttpHeaders) => {
      trailers = t;
    });
    up.on("end", () => {
      if (state.finished) return;
      // The common answer in the binary codec, one uncompressed message with OK, goes out as the chunks
      // it came in (an embeddings batch is 52 KB in several); anything else is read whole below.
      if (!json && trailers?.["grpc-status"] === "0") {
        const layout = response.frames();
        if (layout.whole === 1 && layout.unfinished === 0 && layout.largest <= route.maxResponseBytes && (layout.firstFlags & FLAG_COMPRESSED) === 0) {
          call.gotStatus = true;
          call.finish("ok");
          return send(0, 200, contentTypeUnaryProto, response, { headers: rh, trailers });
        }
      }
      const all = response.whole();
      // The frames, as the decoded path reads them: a second message or a truncated one is an error.
      let message: Buffer | undefined;
      let off = 0;
      while (all.byteLength - off >= 5) {
        const len = all.readUInt32BE(off + 1);
        if (len > route.maxResponseBytes) return tooLarge(len);
        if (all.byteLength - off - 5 < len) break;
        if (message !== undefined) {
          call.cancel();
          return fail({ code: Code.Unimplemented, message: "protocol error: worker sent more than one message for a unary method", details: [] });
        }
        let data = all.subarray(off + 5, off + 5 + len);
        if (all[off]! & FLAG_COMPRESSED) {
          const enc = rh["grpc-encoding"];
          if (enc === undefined || enc === "identity") {
            call.cancel();
            return fail({ code: Code.Internal, message: "worker sent a compressed message without grpc-encoding", details: [] });
          }
          try {
            data = gunzipSync(data, { maxOutputLength: route.maxResponseBytes });
          } catch (e) {
            call.cancel();
            return fail({ code: Code.Unavailable, message: `${route.pool.service} replica ${call.lease.replica.address} failed: ${(e as Error).message}`, details: [] });
          }
        }
        message = data;
        off += 5 + len;
      }
      if (off < all.byteLength) {
        call.cancel();
        return fail(endedInsideMessage(all.byteLength - off));
      }
      const status = trailers === undefined ? undefined : statusFromTrailers(trailers);
      if (status === undefined) {
        call.cancel();
        return fail(endedWithoutStatus(route, call, trailers));
      }
      call.gotStatus = true;
      call.finish("ok");
      if (status.code !== 0) return fail(status, { headers: rh, trailers });
      if (message === undefined) return fail({ code: Code.Unimplemented, message: "protocol error: worker sent no message for a unary method", details: [] });
      if (!json) return send(0, 200, contentTypeUnaryProto, message, { headers: rh, trailers });
      let body: Buffer;
      try {
        body = asBuffer(binaryToJson(route, message));
      } catch (e) {
        return fail(statusOf(e, Code.Internal), { headers: rh, trailers });
      }
      send(0, 200, contentTypeUnaryJson, body, { headers: rh, trailers });
    });
    up.on("close", () => {
      if (state.finished) return;
      call.finish(state.clientGone ? "cancelled" : "failed");
      fail(closedEarly(route, call));
    });
  };
}
