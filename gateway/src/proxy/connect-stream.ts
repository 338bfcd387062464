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
import { encodeFrame, FLAG_CONNECT_END, FrameFlagsError, FrameSizeWatcher, FrameSplitter, FrameTooLargeError } from "../grpc/frames.js";
import { copyResponseMetadata, forwardableResponseHeader } from "../grpc/headers.js";
import { endedInsideMessage, statusFromTrailers } from "../grpc/status.js";
import type { GrpcStatus } from "../grpc/status.js";
import type { Frame } from "../grpc/frames.js";
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
  const state = new ConnectCall(route, res, timeoutMs, () => end({ code: Code.DeadlineExceeded, message: "the operation timed out", details: [] }));

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
    if (!state.finish(status?.code ?? 0)) return;
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
    // Binary: the chunks go out as they come, only the envelopes' sizes and flags are checked, and only
    // whole envelopes are sent (the end-of-stream message must not land inside a worker's unfinished
    // one): a chunk's bytes after its last complete envelope are held, as the pieces they came in, until
    // that envelope completes. The worker's envelopes must carry no flags: compression was not
    // negotiated, and a worker's 0x02 would read as the end of the stream. JSON: each whole envelope is
    // converted.
    const watcher = json ? undefined : new FrameSizeWatcher(route.maxResponseBytes, 0);
    const splitter = json ? new FrameSplitter(route.maxResponseBytes) : undefined;
    let held: Buffer[] = [];
    let heldBytes = 0;
    /**
     * The pieces to send for the chunk just inspected: the held ones and the chunk up to the end of its
     * last complete envelope. `all` (the chunk ended on a boundary) sends the whole chunk; otherwise the
     * rest is held.
     */
    const wholeEnvelopes = (chunk: Buffer, all: boolean): Buffer[] => {
      const complete = all ? chunk.byteLength : watcher!.completeBytes;
      if (complete === 0) {
        held.push(chunk);
        heldBytes += chunk.byteLength;
        return [];
      }
      const out = held;
      out.push(complete === chunk.byteLength ? chunk : chunk.subarray(0, complete));
      held = complete === chunk.byteLength ? [] : [chunk.subarray(complete)];
      heldBytes = chunk.byteLength - complete;
      return out;
    };
    /** Writes pieces to the client; false when it asks to wait for 'drain'. */
    const send = (pieces: Buffer[]): boolean => {
      let ok = true;
      for (const piece of pieces) ok = (res as ServerResponse).write(piece);
      return ok;
    };
    const fail = (e: unknown) => {
      call.cancel();
      if (e instanceof FrameTooLargeError) end({ code: Code.ResourceExhausted, message: `response ${e.message}`, details: [] });
      else if (e instanceof FrameFlagsError) end({ code: Code.Internal, message: `protocol error: worker sent a ${e.message} (no compression was negotiated)`, details: [] });
      else end(statusOf(e, Code.Internal));
    };
    /** The chunk's whole envelopes in JSON; the ones before a message that fails go out before the error. */
    const convert = (chunk: Buffer): Buffer | undefined => {
      const out: Buffer[] = [];
      let error: unknown;
      let frames: Frame[];
      try {
        frames = splitter!.push(chunk);
      } catch (e) {
        error = e;
        frames = e instanceof FrameTooLargeError ? e.completed : [];
      }
      try {
        for (const f of frames) {
          if (f.flags !== 0) throw new FrameFlagsError(f.flags);
          out.push(encodeFrame(0, binaryToJson(route, f.data)));
        }
      } catch (e) {
        error = e; // this message came before the one the splitter failed on, if any
      }
      if (error !== undefined) {
        if (out.length > 0) (res as ServerResponse).write(Buffer.concat(out));
        fail(error);
        return undefined;
      }
      return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
    };
    let trailers: IncomingHttpHeaders | undefined;
    up.on("data", (chunk: Buffer) => {
      if (state.finished) return;
      let ok: boolean;
      if (watcher) {
        try {
          watcher.inspect(chunk);
        } catch (e) {
          // The whole envelopes before the bad one go out first, as on the JSON path.
          send(wholeEnvelopes(chunk, false));
          return fail(e);
        }
        if (held.length === 0 && watcher.atBoundary) ok = (res as ServerResponse).write(chunk); // the common case: whole envelopes
        else {
          const pieces = wholeEnvelopes(chunk, watcher.atBoundary);
          if (pieces.length === 0) return;
          ok = send(pieces);
        }
      } else {
        const out = convert(chunk);
        if (out === undefined) return;
        ok = (res as ServerResponse).write(out);
      }
      if (!ok) {
        up.pause();
        res.once("drain", () => up.resume());
      }
    });
    up.on("trailers", (t: IncomingHttpHeaders) => {
      trailers = t;
    });
    up.on("end", () => {
      if (state.finished) return;
      const unfinished = watcher ? heldBytes : splitter!.buffered;
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
