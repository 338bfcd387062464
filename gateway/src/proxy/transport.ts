/**
 * A connect `Transport` that reaches every routed service through the gateway's pools: the same
 * balancing, health, breakers, retries, deadlines and cancellation as proxied calls. The REST/JSON
 * transcoder (gateway/src/rest) and any in-process code call workers with it.
 *
 * @example
 *   const client = createClient(ModelService, gateway.transport);
 *   for await (const chunk of client.generate({ prompt: "hi" }, { signal })) ...
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, DescMethodStreaming, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { StreamResponse, Transport, UnaryResponse } from "@connectrpc/connect";
import { callUpstream, callUpstreamUnary, isUpstreamError } from "../upstream/client.js";
import { statsOf } from "../upstream/route.js";
import type { Route } from "../upstream/route.js";

function merged(e: unknown): ConnectError {
  if (isUpstreamError(e)) {
    const md = new Headers(e.responseHeader);
    e.responseTrailer.forEach((v, k) => md.append(k, v));
    const err = new ConnectError(e.rawMessage, e.code, md);
    err.details = e.details;
    return err;
  }
  return ConnectError.from(e);
}

/**
 * Creates the pooled transport; `lookup` finds the route of a method path. Its calls are counted in the
 * gateway's call metrics under `protocol` (e.g. `rest` for the REST transcoder's transport).
 */
export function createPoolTransport(lookup: (path: string) => Route | undefined, protocol = "in-process"): Transport {
  const route = (typeName: string, name: string): Route => {
    const r = lookup(`/${typeName}/${name}`);
    if (!r) throw new ConnectError(`${typeName}/${name} is not routed by this gateway`, Code.Unimplemented);
    return r;
  };
  const opts = (signal: AbortSignal | undefined, timeoutMs: number | undefined, header: HeadersInit | undefined) => ({
    signal: signal ?? new AbortController().signal,
    timeoutMs,
    header: new Headers(header),
  });
  return {
    async unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: MessageInitShape<I>,
    ): Promise<UnaryResponse<I, O>> {
      const r = route(method.parent.typeName, method.name);
      const o = opts(signal, timeoutMs, header);
      const stats = statsOf(r, protocol);
      const t0 = stats.begin();
      try {
        const res = await callUpstreamUnary(r, o, toBinary(method.input, create(method.input, input)));
        const message = fromBinary(method.output, res.message) as MessageShape<O>;
        stats.end(t0, 0);
        return {
          stream: false,
          service: method.parent,
          method,
          header: res.header,
          trailer: res.trailer,
          message,
        };
      } catch (e) {
        const err = merged(e);
        stats.end(t0, err.code);
        throw err;
      }
    },
    async stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
    ): Promise<StreamResponse<I, O>> {
      const r = route(method.parent.typeName, method.name);
      const o = opts(signal, timeoutMs, header);
      const stats = statsOf(r, protocol);
      const t0 = stats.begin();
      let ended = false;
      const end = (code: Code | 0) => {
        if (ended) return;
        ended = true;
        stats.end(t0, code);
      };
      // A caller that gives up without draining or closing the messages still ends the call here.
      o.signal.addEventListener("abort", () => end(Code.Canceled), { once: true });
      let body: Uint8Array | AsyncIterable<Uint8Array>;
      if (method.methodKind === "server_streaming") {
        let one: Uint8Array | undefined;
        for await (const m of input) one = toBinary(method.input, create(method.input, m));
        if (one === undefined) {
          end(Code.InvalidArgument);
          throw new ConnectError("server-streaming call without a request message", Code.InvalidArgument);
        }
        body = one;
      } else {
        body = (async function* () {
          for await (const m of input) yield toBinary(method.input, create(method.input, m));
        })();
      }
      let res;
      try {
        res = await callUpstream(r, o, body);
      } catch (e) {
        const err = merged(e);
        end(err.code);
        throw err;
      }
      const messages = res.messages;
      return {
        stream: true,
        service: method.parent,
        method,
        header: res.header,
        trailer: res.trailer,
        message: (async function* () {
          try {
            for await (const m of messages) yield fromBinary(method.output, m) as MessageShape<O>;
            end(0);
          } catch (e) {
            const err = merged(e);
            end(err.code);
            throw err;
          } finally {
            end(Code.Canceled); // the caller stopped reading before the end
          }
        })(),
      };
    },
  };
}
