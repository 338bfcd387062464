/**
 * The Connect → gRPC fast path for server-streaming calls. In the binary codec
 * (`application/connect+proto`) Connect streaming and gRPC share the 5-byte message envelope, so the
 * request envelope goes to the worker unchanged and the worker's envelopes come back unchanged. In the
 * JSON codec (`application/connect+json`, connect-web's default) each message is converted on the way,
 * by the serializers connect-node would use (connect-relay.ts). Only the end differs from gRPC: the
 * worker's trailers (status and metadata) become the Connect end-of-stream message (flag 0x02, JSON
 * `{"error": ..., "metadata": ...}`), and every error is reported there with HTTP 200, as connect-node
 * does.
 *
 * Only plain requests take it ({@link takesConnectStreamFastPath}): POST, server-streaming method, no
 * request compression, a well-formed timeout. Responses are sent uncompressed (a Connect server may
 * always answer `identity`). Anything else goes to connect-node.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { contentTypeStreamJson, contentTypeStreamProto, endStreamToJson } from "@connectrpc/connect/protocol-connect";
import { encodeFrame, FLAG_COMPRESSED, FLAG_CONNECT_END, FrameSizeWatcher, FrameSplitter, FrameTooLargeError } from "../grpc/frames.js";
import { copyResponseMetadata, forwardableResponseHeader } from "../grpc/headers.js";
import { endedInsideMessage, statusFromTrailers } from "../grpc/status.js";
import type { GrpcStatus } from "../grpc/status.js";
import type { NodeRequest, NodeResponse } from "../http/types.js";
import type { UpstreamCall } from "../upstream/open.js";
import { binaryToJson, closedEarly, ConnectCall, connectCodec, connectDeadline, endedWithoutStatus, grpcRequestHeaders, jsonToBinary, plainTimeout, statusOf } from "./connect-relay.js";
import type { Route } from "../upstream/route.js";
import { Chunks } from "./chunks.js";

/** True when a request to `route` can take the fast path (see the module comment). */
export function takesConnectStreamFastPath(route: Route, req: NodeRequest): boolean {
  if (req.method !== "POST" || route.method.methodKind !== "server_streaming") return false;
  const h = req.headers;
  if (connectCodec(h["content-type"], true) === undefined) return false;
  const enc = h["connect-content-encoding"];
  if (enc !== undefined && enc !== "identity") return false;
  if (!plainTimeout(h)) return false;
  return true;
}

/** Relays one Connect server-streaming call (binary or JSON codec) to the route's pool as a gRPC call. */
export function proxyConnectStream(route: Route, req: NodeRequest, res: NodeResponse): void {
  const h = req.headers;
  const json = connectCodec(h["content-type"], true) === "json";
  const { timeoutMs, deadline } = connectDeadline(route, h);
  const state = new ConnectCall(res, timeoutMs, () => end({ code: Code.DeadlineExceeded, message: "the operation timed out", details: [] }));

  const head = (md?: IncomingHttpHeaders) => {
    if (res.headersSent) return;
    const out: OutgoingHttpHeaders = { "content-type": json ? contentTypeStreamJson : contentTypeStreamProto };
    if (md) for (const name in md) if (forwardableResponseHeader(name) && md[name] !== undefined) out[name] = md[name];
    if (req.httpVersionMajor === 1 && !(req as IncomingMessage).complete) {
      // Answered before the whole request was read: this HTTP/1.1 connection cannot be reused.
      (res as ServerResponse).shouldKeepAlive = false;
      out.connection = "close";
    }
    res.writeHead(200, out as never);
  };

  /** Ends the stream with the end-of-stream message: the status (when not OK) and the trailers. */
  const end = (status: GrpcStatus | undefined, trailers?: IncomingHttpHeaders) => {
    if (!state.finish()) return;
    if (res.destroyed || res.writableEnded) return;
    head();
    let err: ConnectError | undefined;
    if (status !== undefined && status.code !== 0) {
      err = new ConnectError(status.message, status.code);
      err.details = status.details.map((d) => ({ type: d.type, value: d.value }));
    }
    const md = new Headers();
    if (trailers) copyResponseMetadata(trailers, md);
    res.end(encodeFrame(FLAG_CONNECT_END, Buffer.from(JSON.stringify(endStreamToJson(md, err, {})))));
  };

  const request = new Chunks();
  req.on("data", (chunk: Buffer) => {
    if (state.finished) return;
    request.add(chunk);
    const b = request.head!;
    const declared = b.byteLength >= 5 ? b.readUInt32BE(1) : 0;
    if (declared > route.maxRequestBytes || request.size > route.maxRequestBytes + 5) {
      end({ code: Code.ResourceExhausted, message: `message size ${Math.max(declared, request.size - 5)} is larger than configured readMaxBytes ${route.maxRequestBytes}`, details: [] });
    }
  });
  req.on("end", () => {
    if (state.finished) return;
    const body = request.whole();
    // Exactly one whole, uncompressed request message (connect-content-encoding was ruled out above).
    const len = body.byteLength >= 5 ? body.readUInt32BE(1) : -1;
    if (len < 0 || body.byteLength !== 5 + len) {
      return end({ code: Code.Unimplemented, message: `${route.method.name} takes exactly one request message`, details: [] });
    }
    if (body[0] !== 0) {
      return end({ code: Code.Internal, message: `protocol error: request message with flags ${body[0]} (compression was not negotiated)`, details: [] });
    }
    let message = body;
    if (json) {
      try {
        message = encodeFrame(0, jsonToBinary(route, body.subarray(5)));
      } catch (e) {
        return end(statusOf(e, Code.InvalidArgument));
      }
    }
    const upHeaders = grpcRequestHeaders(route, h, deadline);
    state.open(route, upHeaders, message, end, relay);
  });

  const relay = (call: UpstreamCall, rh: IncomingHttpHeaders) => {
    if (rh["grpc-status"] !== undefined) {
      // Trailers-only: no message; the worker's metadata travels as trailers.
      call.gotStatus = true;
      call.finish("ok");
      return end(statusFromTrailers(rh), rh);
    }
    if (rh["grpc-encoding"] !== undefined && rh["grpc-encoding"] !== "identity") {
      // Compressed messages would need connect-content-encoding, negotiated before the headers: the
      // gateway never offers the worker compression, so this is a worker out of protocol.
      call.cancel();
      return end({ code: Code.Internal, message: `worker answered with grpc-encoding ${String(rh["grpc-encoding"])} it was not offered`, details: [] });
    }
    head(rh);
    const up = call.stream;
    // Binary: the chunks go out as they come, only the envelopes' sizes are checked, and only whole
    // envelopes are sent (the end-of-stream message must not land inside a worker's unfinished one): a
    // chunk's bytes after its last complete envelope are held until that envelope completes. JSON: each
    // whole envelope is converted.
    const watcher = json ? undefined : new FrameSizeWatcher(route.maxResponseBytes);
    const splitter = json ? new FrameSplitter(route.maxResponseBytes) : undefined;
    let held: Buffer | undefined;
    /** The chunk's bytes that end on an envelope boundary, after the ones held before; holds the rest. */
    const wholeEnvelopes = (chunk: Buffer): Buffer | undefined => {
      if (watcher!.atBoundary) {
        const out = held === undefined ? chunk : Buffer.concat([held, chunk]);
        held = undefined;
        return out;
      }
      const complete = watcher!.completeBytes;
      const out = complete === 0 ? undefined : held === undefined ? chunk.subarray(0, complete) : Buffer.concat([held, chunk.subarray(0, complete)]);
      const rest = chunk.subarray(complete);
      held = complete === 0 && held !== undefined ? Buffer.concat([held, rest]) : rest;
      return out;
    };
    const fail = (e: unknown) => {
      call.cancel();
      end(e instanceof FrameTooLargeError ? { code: Code.ResourceExhausted, message: `response ${e.message}`, details: [] } : statusOf(e, Code.Internal));
    };
    /** The chunk's whole envelopes in JSON; the ones before a message that fails go out before the error. */
    const convert = (chunk: Buffer): Buffer | undefined => {
      const out: Buffer[] = [];
      try {
        for (const f of splitter!.push(chunk)) {
          if (f.flags & FLAG_COMPRESSED) throw new ConnectError("worker sent a compressed message without grpc-encoding", Code.Internal);
          out.push(encodeFrame(0, binaryToJson(route, f.data)));
        }
      } catch (e) {
        if (out.length > 0) (res as ServerResponse).write(Buffer.concat(out));
        fail(e);
        return undefined;
      }
      return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
    };
    let trailers: IncomingHttpHeaders | undefined;
    up.on("data", (chunk: Buffer) => {
      if (state.finished) return;
      let out: Buffer | undefined = chunk;
      if (watcher) {
        try {
          watcher.inspect(chunk);
        } catch (e) {
          return fail(e);
        }
        out = wholeEnvelopes(chunk);
      } else out = convert(chunk);
      if (out === undefined) return;
      if (!(res as ServerResponse).write(out)) {
        up.pause();
        res.once("drain", () => up.resume());
      }
    });
    up.on("trailers", (t: IncomingHttpHeaders) => {
      trailers = t;
    });
    up.on("end", () => {
      if (state.finished) return;
      const unfinished = held?.byteLength ?? splitter?.buffered ?? 0;
      if (unfinished > 0) {
        call.cancel();
        return end(endedInsideMessage(unfinished));
      }
      const status = trailers === undefined ? undefined : statusFromTrailers(trailers);
      if (status === undefined) {
        call.cancel();
        return end(endedWithoutStatus(route, call, trailers));
      }
      call.gotStatus = true;
      call.finish("ok");
      end(status, trailers);
    });
    up.on("close", () => {
      if (state.finished) return;
      call.finish(state.clientGone ? "cancelled" : "failed");
      end(closedEarly(route, call));
    });
  };
}
