import { isTransportKind, type TransportKind } from "./api/transport.js";

/** Where the page sends its calls and how. */
export interface PageConfig {
  /** Base URL of the gateway: the page's own origin unless `?api=` names another one. */
  readonly baseUrl: string;
  /** Initial transport: `?transport=` if given, else the last one chosen, else Connect JSON. */
  readonly transport: TransportKind;
  /**
   * The gateway's origin when `?api=` names one other than the page's own: every call (and what is
   * typed into the page) goes there, so the page says so visibly. Undefined on the page's own origin.
   */
  readonly foreignOrigin?: string;
  /** A `?api=` that is not an http(s) URL: ignored (the page calls its own origin), and the page says so. */
  readonly ignoredApi?: string;
}

const storageKey = "agentos.playground.transport";

/**
 * Reads the page configuration from the URL and local storage.
 *
 * `?api=http://host:port` points the page at a gateway on another origin (it then relies on that
 * gateway's CORS settings, and shows a notice naming that origin); `?transport=grpc-web` picks the
 * transport. A `?api=` that is not an absolute http(s) URL is ignored, with a notice.
 *
 * @example
 *   readConfig(location, localStorage); // { baseUrl: "http://127.0.0.1:8080", transport: "connect-json" }
 */
export function readConfig(location: Pick<Location, "search" | "origin">, storage?: Pick<Storage, "getItem">): PageConfig {
  const params = new URLSearchParams(location.search);
  const api = params.get("api");
  const asked = params.get("transport");
  const stored = storage?.getItem(storageKey);
  const transport = isTransportKind(asked) ? asked : isTransportKind(stored) ? stored : "connect-json";
  if (api === null) return { baseUrl: location.origin, transport };
  const target = httpUrl(api.trim());
  if (target === undefined) return { baseUrl: location.origin, transport, ignoredApi: api };
  const baseUrl = api.trim().replace(/\/+$/, "");
  return target.origin === location.origin ? { baseUrl, transport } : { baseUrl, transport, foreignOrigin: target.origin };
}

function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers the chosen transport for the next visit. */
export function rememberTransport(kind: TransportKind, storage: Pick<Storage, "setItem">): void {
  storage.setItem(storageKey, kind);
}
