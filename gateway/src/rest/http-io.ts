/**
 * The little HTTP the REST handler needs, for HTTP/1.1 (`node:http`) and HTTP/2 (`node:http2` compatibility
 * API) alike: read a bounded body, send a JSON answer or a `google.rpc.Status` error.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Registry } from "@bufbuild/protobuf";
import { RestError, httpStatusOf, statusToJson } from "./errors.js";
import { metadataToHeaders } from "./metadata.js";

/** A request of either HTTP version. */
export type RestRequest = IncomingMessage | Http2ServerRequest;
/** A response of either HTTP version. */
export type RestResponse = ServerResponse | Http2ServerResponse;

/** The part of both response kinds the handler uses (their TypeScript overloads do not unify). */
export interface ResponseSink {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  flushHeaders(): void;
  on(event: "drain" | "close" | "finish", listener: () => void): unknown;
  off(event: "drain" | "close" | "finish", listener: () => void): unknown;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
}

/** The request as the handler reads it. */
export interface RequestSource extends AsyncIterable<Buffer | string> {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly httpVersionMajor: number;
  destroy(error?: Error): unknown;
}

/** Whether the exchange is HTTP/1.x, where `connection: close` is allowed. */
export function isHttp1(req: RequestSource): boolean {
  return req.httpVersionMajor < 2;
}

/**
 * Reads the body, at most `limit` bytes. Throws a 413 RestError as soon as the declared or received size
 * exceeds it, without reading the rest.
 */
export async function readBody(req: RequestSource, limit: number): Promise<Uint8Array> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(buf);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

function tooLarge(limit: number): RestError {
  return new RestError(`the request body exceeds the limit of ${limit} bytes`, Code.ResourceExhausted, 413);
}

/** Sends a complete JSON answer. */
export function sendJson(res: ResponseSink, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/**
 * Sends an error as `google.rpc.Status` JSON with the mapped HTTP status. `close` asks an HTTP/1.1 client to
 * drop the connection (used when the request body was left unread).
 */
export function sendError(res: ResponseSink, err: unknown, registry: Registry, close = false): void {
  const ce = ConnectError.from(err);
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers: Record<string, string> = {};
  metadataToHeaders(ce.metadata, "grpc-metadata-", headers);
  if (ce instanceof RestError) Object.assign(headers, ce.headers);
  if (close) headers["connection"] = "close";
  sendJson(res, httpStatusOf(ce), JSON.stringify(statusToJson(ce, registry)), headers);
}
