import { isTransportKind, type TransportKind } from "./api/transport.js";

/** Where the page sends its calls and how. */
export interface PageConfig {
  /** Base URL of the gateway: the page's own origin unless `?api=` names another one. */
  readonly baseUrl: string;
  /** Initial transport: `?transport=` if given, else the last one chosen, else Connect JSON. */
  readonly transport: TransportKind;
}

const storageKey = "agentos.playground.transport";

/**
 * Reads the page configuration from the URL and local storage.
 *
 * `?api=http://host:port` points the page at a gateway on another origin (it then relies on that
 * gateway's CORS settings); `?transport=grpc-web` picks the transport.
 */
export function readConfig(location: Pick<Location, "search" | "origin">, storage?: Pick<Storage, "getItem">): PageConfig {
  const params = new URLSearchParams(location.search);
  const api = params.get("api");
  const asked = params.get("transport");
  const stored = storage?.getItem(storageKey);
  const transport = isTransportKind(asked) ? asked : isTransportKind(stored) ? stored : "connect-json";
  return { baseUrl: (api ?? location.origin).replace(/\/+$/, ""), transport };
}

/** Remembers the chosen transport for the next visit. */
export function rememberTransport(kind: TransportKind, storage: Pick<Storage, "setItem">): void {
  storage.setItem(storageKey, kind);
}
