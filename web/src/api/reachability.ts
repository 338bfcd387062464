import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Turns a request that never reached the gateway into UNAVAILABLE, as a gRPC client reports a
 * connection failure. In a browser, `fetch` rejects with a bare TypeError ("Failed to fetch") both when
 * the gateway is down and when it refuses the page's origin (CORS); Connect would call that UNKNOWN.
 * A call cancelled by its own signal is left alone (it rejects with an AbortError, not a TypeError).
 *
 * @example
 *   createConnectTransport({ baseUrl, interceptors: [createReachabilityInterceptor(baseUrl)] });
 */
export function createReachabilityInterceptor(baseUrl: string): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof TypeError && !req.signal.aborted) {
        throw new ConnectError(
          `cannot reach the gateway at ${baseUrl} (${err.message}): it is down, or it does not allow this page's origin (CORS)`,
          Code.Unavailable,
          undefined,
          undefined,
          err,
        );
      }
      throw err;
    }
  };
}
