/**
 * Generic implementations of every routed method for the clients whose messages connect-node decodes:
 * Connect (JSON and binary, GET included), gRPC-Web, and gRPC over HTTP/1.1. Each implementation
 * re-encodes the request as protobuf, calls the worker through the pool, and hands the decoded answer
 * back to connect-node, which writes it in the client's protocol.
 *
 * Cancellation is handled on purpose: the handler context's signal is passed upstream so a client that
 * disconnects cancels the worker's call, and every path that ends early (an error, a client that stops
 * reading) cancels the upstream stream in a `finally`, because `HandlerContext.signal` does not fire
 * when a call completes normally.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { callUpstream, callUpstreamUnary, isUpstreamError } from "../upstream/client.js";
import { statsOf } from "../upstream/route.js";
import type { Route } from "../upstream/route.js";

function options(ctx: HandlerContext) {
  return { signal: ctx.signal, timeoutMs: ctx.timeoutMs(), header: ctx.requestHeader };
}

function copy(from: Headers, to: Headers): void {
  from.forEach((v, k) => to.append(k, v));
}

/** Moves an upstream failure's headers and trailers onto the context, and returns the error to throw. */
function relayError(e: unknown, ctx: HandlerContext): ConnectError {
  if (isUpstreamError(e)) {
    copy(e.responseHeader, ctx.responseHeader);
    copy(e.responseTrailer, ctx.responseTrailer);
    const err = new ConnectError(e.rawMessage, e.code);
    err.details = e.details;
    return err;
  }
  return ConnectError.from(e);
}

async function* encodeAll(desc: DescMessage, requests: AsyncIterable<MessageShape<DescMessage>>): AsyncGenerator<Uint8Array> {
  for await (const r of requests) yield toBinary(desc, r);
}

/** The `protocol` label of a call connect-node decodes, from its content type. */
function protocolOf(ctx: HandlerContext): string {
  const type = ctx.requestHeader.get("content-type") ?? "";
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc"; // over HTTP/1.1, or compressed
  return "connect";
}

/** Registers the decoding proxy implementation of one method. */
export function registerDecoded(router: ConnectRouter, route: Route): void {
  const m = route.method as DescMethod;
  const { input, output } = m;
  const decode = (bytes: Uint8Array): MessageShape<DescMessage> => {
    try {
      return fromBinary(output, bytes);
    } catch (e) {
      throw new ConnectError(`cannot decode the worker's ${output.typeName}: ${(e as Error).message}`, Code.Internal);
    }
  };
  switch (m.methodKind) {
    case "unary":
    case "client_streaming": {
      const impl = async (req: MessageShape<DescMessage> | AsyncIterable<MessageShape<DescMessage>>, ctx: HandlerContext) => {
        const stats = statsOf(route, protocolOf(ctx));
        const t0 = stats.begin();
        try {
          const body = m.methodKind === "unary" ? toBinary(input, req as MessageShape<DescMessage>) : encodeAll(input, req as AsyncIterable<MessageShape<DescMessage>>);
          const res = await callUpstreamUnary(route, options(ctx), body);
          copy(res.header, ctx.responseHeader);
          copy(res.trailer, ctx.responseTrailer);
          const message = decode(res.message);
          stats.end(t0, 0);
          return message;
        } catch (e) {
          const err = relayError(e, ctx);
          stats.end(t0, err.code);
          throw err;
        }
      };
      router.rpc(m as never, impl as never);
      return;
    }
    case "server_streaming":
    case "bidi_streaming": {
      const impl = async function* (req: MessageShape<DescMessage> | AsyncIterable<MessageShape<DescMessage>>, ctx: HandlerContext) {
        const stats = statsOf(route, protocolOf(ctx));
        const t0 = stats.begin();
        // Until the stream ends one way or another: a client that stops reading ends it with return().
        let code: Code | 0 = Code.Canceled;
        try {
          const body = m.methodKind === "server_streaming" ? toBinary(input, req as MessageShape<DescMessage>) : encodeAll(input, req as AsyncIterable<MessageShape<DescMessage>>);
          let res;
          try {
            res = await callUpstream(route, options(ctx), body);
          } catch (e) {
            const err = relayError(e, ctx);
            code = err.code;
            throw err;
          }
          copy(res.header, ctx.responseHeader);
          try {
            for await (const msg of res.messages) yield decode(msg);
            copy(res.trailer, ctx.responseTrailer);
            code = 0;
          } catch (e) {
            if (isUpstreamError(e)) e.responseHeader = new Headers();
            const err = relayError(e, ctx);
            code = err.code;
            throw err;
          }
        } finally {
          stats.end(t0, code);
        }
      };
      router.rpc(m as never, impl as never);
      return;
    }
  }
}
