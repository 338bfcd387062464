/**
 * The shape of a plain HTTP handler in the gateway: Node's request and response for HTTP/1.1 and
 * HTTP/2 alike. It resolves to true when it answered the request, false to let the next one try.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

/** A request from either server. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;
/** A response of either server. */
export type NodeResponse = ServerResponse | Http2ServerResponse;
/** A handler offered each non-RPC request in turn; true means "handled". */
export type HttpHandler = (req: NodeRequest, res: NodeResponse) => Promise<boolean>;
