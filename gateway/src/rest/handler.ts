/**
 * The REST/JSON handler: routes compiled from the services' `google.api.http` annotations, each request
 * transcoded into the RPC's request message and sent through a connect-es Transport, the answer transcoded
 * back (JSON for unary calls, SSE or NDJSON for server streams), errors as `google.rpc.Status` JSON.
 *
 * Which requests it takes: `GET /openapi.json` and every path whose first segment is the first literal
 * segment of some route (`/v1/...`). Under such a prefix, an unknown path is a 404 and a known path with
 * the wrong method a 405 with `Allow`, both as `google.rpc.Status` JSON; `OPTIONS` on a known path is a
 * 204 with `Allow`. Any other path resolves `false` so the gateway can try its other handlers.
 */
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import type { DescService, JsonValue, Message, Registry } from "@bufbuild/protobuf";
import { buildOpenApiDocument, type OpenApiOptions } from "../openapi/index.js";
import { decodeRequest } from "./decode-request.js";
import { responseEncoder } from "./encode-response.js";
import { RestError, statusToJson } from "./errors.js";
import { framingFor, EventStreamWriter } from "./event-stream.js";
import {
  isHttp1,
  readBody,
  sendError,
  sendJson,
  type RequestSource,
  type ResponseSink,
  type RestRequest,
  type RestResponse,
} from "./http-io.js";
import { readHttpBindings, type HttpBinding } from "./http-rule.js";
import { forwardedHeaders, metadataToHeaders, requestTimeoutMs } from "./metadata.js";
import { RouteTable, type RouteMatch } from "./route-table.js";
import { registryFor } from "./type-registry.js";

/** Options of {@link createRestHandler}. */
export interface RestHandlerOptions {
  /** The services whose annotated methods become REST routes. */
  services: DescService[];
  /** Reaches the services (the gateway's routing transport, or any connect-es Transport). */
  transport: Transport;
  /** Ignore unknown JSON fields and unknown query parameters instead of answering 400. Default false. */
  allowUnknownFields?: boolean;
  /** Idle time after which an SSE stream gets a `: keep-alive` comment; 0 disables. Default 15000. */
  heartbeatMs?: number;
  /** Largest accepted request body; larger is a 413. Default 4 MiB (gRPC's default message limit). */
  maxBodyBytes?: number;
  /** Request headers forwarded as metadata besides the defaults (see metadata.ts). */
  forwardHeaders?: string[];
  /** Deadline for calls whose request sets none (no `grpc-timeout` / `connect-timeout-ms`). */
  defaultTimeoutMs?: number;
  /** Extra types for `Any` fields and error details in JSON. */
  registry?: Registry;
  /** Where the OpenAPI document is served, or false for nowhere. Default "/openapi.json". */
  openapiPath?: string | false;
  /** Title, version, servers of the OpenAPI document. */
  openapi?: Omit<OpenApiOptions, "services" | "allowUnknownFields">;
}

/** A REST handler: resolves true when it answered the request, false when the request is not for REST. */
export interface RestHandler {
  (req: RestRequest, res: RestResponse): Promise<boolean>;
  /** The compiled routes, for logs and tests. */
  readonly bindings: readonly HttpBinding[];
  /** The OpenAPI 3.1 document describing exactly these routes. */
  openApiDocument(): Record<string, unknown>;
}

/**
 * Builds the handler. Throws at start-up when an annotation is malformed or two routes collide.
 *
 * ```ts
 * const rest = createRestHandler({ services: [ModelService], transport });
 * http2.createServer({ allowHTTP1: true }, async (req, res) => { if (!(await rest(req, res))) notFound(res); });
 * ```
 */
export function createRestHandler(options: RestHandlerOptions): RestHandler {
  const bindings = readHttpBindings(options.services);
  const table = new RouteTable(bindings);
  const registry = registryFor(options.services, options.registry);
  const allowUnknownFields = options.allowUnknownFields ?? false;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const forward = options.forwardHeaders ?? [];
  const openapiPath = options.openapiPath ?? "/openapi.json";
  const encoders = new Map(bindings.map((b) => [b, responseEncoder(b, registry)]));
  let openapi: { doc: Record<string, unknown>; text: string } | undefined;
  const document = () =>
    (openapi ??= (() => {
      const doc = buildOpenApiDocument({ ...options.openapi, services: options.services, allowUnknownFields });
      return { doc, text: JSON.stringify(doc) };
    })());

  const handler = async (rawReq: RestRequest, rawRes: RestResponse): Promise<boolean> => {
    const req = rawReq as unknown as RequestSource;
    const res = rawRes as unknown as ResponseSink;
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const method = (req.method ?? "GET").toUpperCase();
    if (openapiPath !== false && path === openapiPath) {
      serveDocument(res, method, document().text, registry);
      return true;
    }
    if (!table.owns(path)) return false;
    let bodyRead = false;
    try {
      if (method === "OPTIONS") {
        const allow = table.methodsFor(path);
        if (allow === "") throw new RestError(`no REST route matches ${path}`, Code.NotFound);
        res.writeHead(204, { allow });
        res.end();
        return true;
      }
      const match = table.match(method, path);
      const body = await readBody(req, maxBodyBytes);
      bodyRead = true;
      if (body.length > 0) checkContentType(req.headers["content-type"]);
      const message = decodeRequest(match, new URLSearchParams(q < 0 ? "" : url.slice(q + 1)), body, {
        registry,
        allowUnknownFields,
      });
      const call: Call = {
        match,
        message,
        timeoutMs: requestTimeoutMs(req.headers) ?? options.defaultTimeoutMs,
        headers: forwardedHeaders(req.headers, forward),
        encode: encoders.get(match.binding) as (m: Message) => JsonValue,
      };
      if (match.binding.method.methodKind === "unary") await callUnary(options.transport, call, res, registry);
      else await callStream(options.transport, call, req, res, registry, heartbeatMs);
    } catch (err) {
      // A body left unread (rejected before or while reading) makes HTTP/1.1 keep-alive unsafe.
      sendError(res, err, registry, !bodyRead && isHttp1(req) && hasBody(req));
    }
    return true;
  };
  return Object.assign(handler, { bindings, openApiDocument: () => document().doc });
}

interface Call {
  match: RouteMatch;
  message: Message;
  timeoutMs: number | undefined;
  headers: Headers;
  encode: (m: Message) => JsonValue;
}

function hasBody(req: RequestSource): boolean {
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
}

const JSON_TYPE = /^application\/(json|[a-z0-9.+-]*\+json)$/;

function checkContentType(value: string | undefined): void {
  if (value === undefined) return;
  const [type, ...params] = value.split(";").map((s) => s.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith("charset="))?.slice(8).replace(/"/g, "");
  if (!JSON_TYPE.test(type ?? "") || (charset !== undefined && charset !== "utf-8")) {
    // curl -d sends a form type unless told otherwise: say how to tell it.
    const hint = type === "application/x-www-form-urlencoded" ? " (with curl: -H 'content-type: application/json')" : "";
    throw new RestError(`unsupported content type "${value}"; send application/json${hint}`, Code.InvalidArgument, 415);
  }
}

/** Aborts the upstream call when the client goes away before the answer is complete. */
/** A signal for the upstream call that fires when the client goes away, or when `abort` is called. */
function abortOnClose(res: ResponseSink): { signal: AbortSignal; done: () => void; abort: (why: string) => void } {
  const ac = new AbortController();
  const onClose = () => ac.abort(new ConnectError("the HTTP client went away", Code.Canceled));
  res.on("close", onClose);
  return { signal: ac.signal, done: () => res.off("close", onClose), abort: (why) => ac.abort(new ConnectError(why, Code.Canceled)) };
}

async function callUnary(transport: Transport, call: Call, res: ResponseSink, registry: Registry): Promise<void> {
  const { signal, done } = abortOnClose(res);
  try {
    const method = call.match.binding.method as HttpBinding["method"] & { methodKind: "unary" };
    const out = await transport.unary(method, signal, call.timeoutMs, call.headers, call.message);
    const headers: Record<string, string> = {};
    metadataToHeaders(out.header, "grpc-metadata-", headers);
    metadataToHeaders(out.trailer, "grpc-trailer-", headers);
    sendJson(res, 200, JSON.stringify(call.encode(out.message as Message)), headers);
  } catch (err) {
    if (!signal.aborted) sendError(res, err, registry);
  } finally {
    done();
  }
}

async function* once(message: Message): AsyncIterable<Message> {
  yield message;
}

async function callStream(
  transport: Transport,
  call: Call,
  req: RequestSource,
  res: ResponseSink,
  registry: Registry,
  heartbeatMs: number,
): Promise<void> {
  const { signal, done, abort } = abortOnClose(res);
  const writer = new EventStreamWriter(res, framingFor(req.headers.accept), heartbeatMs);
  let finished = false; // the upstream stream ended, or was closed here
  try {
    const method = call.match.binding.method as HttpBinding["method"] & { methodKind: "server_streaming" };
    // The 200 waits for the first message (or the end of the stream), so an error before it keeps its HTTP
    // status. An upstream that stays silent longer than a heartbeat gets the 200 sent anyway, so idle
    // streams can carry heartbeats through proxies; a later error goes into the terminal event.
    const pending = transport.stream(method, signal, call.timeoutMs, call.headers, once(call.message)).then(async (out) => {
      const messages = out.message[Symbol.asyncIterator]();
      return { out, messages, first: await messages.next() };
    });
    const early = heartbeatMs > 0 ? await raceTimer(pending, heartbeatMs) : await pending;
    const headers: Record<string, string> = {};
    if (early) metadataToHeaders(early.out.header, "grpc-metadata-", headers);
    writer.start(headers);
    const { messages, first } = early ?? (await pending);
    for (let next = first; !next.done; next = await messages.next()) {
      if (!(await writer.send(call.encode(next.value as Message)))) {
        await messages.return?.();
        break;
      }
    }
    finished = true;
    if (!writer.isClosed) await writer.end();
  } catch (err) {
    if (signal.aborted || writer.isClosed) return;
    if (!res.headersSent) sendError(res, err, registry);
    else await writer.fail(statusToJson(ConnectError.from(err), registry));
  } finally {
    done();
    // Stopped here (a message that cannot be written as JSON, the response failing): cancel the worker's
    // call, which would otherwise go on until its deadline, holding its stream and replica.
    if (!finished && !signal.aborted) abort("the REST stream stopped before the worker's stream ended");
  }
}

async function raceTimer<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

function serveDocument(res: ResponseSink, method: string, text: string, registry: Registry): void {
  if (method !== "GET" && method !== "HEAD") {
    sendError(res, new RestError(`${method} is not allowed on the OpenAPI document; use GET`, Code.Unimplemented, 405, { allow: "GET, HEAD" }), registry);
    return;
  }
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": "no-cache",
  });
  res.end(method === "HEAD" ? undefined : text);
}
