import { Code, ConnectError } from "@connectrpc/connect";

/** An error as the page shows it: the RPC status code and the server's message. */
export interface ErrorInfo {
  /** gRPC-style code name, e.g. "UNAVAILABLE", "INVALID_ARGUMENT". */
  readonly code: string;
  /** The message the server (or the transport) gave, without the code prefix Connect adds. */
  readonly message: string;
}

/** "InvalidArgument" → "INVALID_ARGUMENT"; gRPC's own names (CANCELLED, as the gateway's and workers' metrics say). */
export function codeName(code: Code): string {
  if (code === Code.Canceled) return "CANCELLED";
  const name = Code[code] ?? "Unknown";
  return name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * Converts anything thrown by a client call into the code and message to show. Errors that are not
 * ConnectErrors (a bug in the page) are converted the same way Connect converts them: code UNKNOWN.
 *
 * @example
 *   try { await api.model.listModels({}); } catch (e) { show(describeError(e)); }
 */
export function describeError(err: unknown): ErrorInfo {
  const ce = ConnectError.from(err);
  return { code: codeName(ce.code), message: ce.rawMessage || "(no message)" };
}

/** True when the error is the one a call ends with after its own AbortSignal fired. */
export function isCancelled(err: unknown): boolean {
  return ConnectError.from(err).code === Code.Canceled;
}
