import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Turns a network failure into UNAVAILABLE, as a gRPC client reports a lost or refused connection:
 *
 * - while sending: in a browser, `fetch` rejects with a bare TypeError ("Failed to fetch") both when
 *   the gateway is down and when it refuses the page's origin (CORS);
 * - while reading a stream: the connection drops after the response began (the gateway or a proxy
 *   died), and reading the body rejects with a bare TypeError ("network error", "terminated").
 *
 * Connect would call both UNKNOWN. A call cancelled by its own signal or deadline is left alone (it
 * rejects with an AbortError, not a TypeError, and its signal is aborted).
 *
 * @example
 *   createConnectTransport({ baseUrl, interceptors: [createReachabilityInterceptor(baseUrl)] });
 */
export function createReachabilityInterceptor(baseUrl: string): Interceptor {
  const unavailable = (err: unknown, signal: AbortSignal, describe: (detail: string) => string): unknown => {
    if (!(err instanceof TypeError) || signal.aborted) return err;
    return new ConnectError(describe(err.message), Code.Unavailable, undefined, undefined, err);
  };
  return (next) => async (req) => {
    let res;
    try {
      res = await next(req);
    } catch (err) {
      throw unavailable(
        err,
        req.signal,
        (detail) => `cannot reach the gateway at ${baseUrl} (${detail}): it is down, or it does not allow this page's origin (CORS)`,
      );
    }
    if (!res.stream) return res;
    const messages = res.message;
    async function* guarded() {
      try {
        yield* messages;
      } catch (err) {
        throw unavailable(err, req.signal, (detail) => `lost the connection to the gateway at ${baseUrl} during the stream (${detail})`);
      }
    }
    return { ...res, message: guarded() };
  };
}
