import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { createReachabilityInterceptor } from "./reachability.js";

/** The wire protocols the page can speak to the gateway; all of them reach the same typed methods. */
export const transportKinds = ["connect-json", "connect-binary", "grpc-web"] as const;

/** One of {@link transportKinds}. */
export type TransportKind = (typeof transportKinds)[number];

/** Labels for people, by kind. */
export const transportLabels: Record<TransportKind, string> = {
  "connect-json": "Connect · JSON",
  "connect-binary": "Connect · binary",
  "grpc-web": "gRPC-Web",
};

/** Narrows an arbitrary string (a query parameter, a stored setting) to a transport kind. */
export function isTransportKind(value: unknown): value is TransportKind {
  return typeof value === "string" && (transportKinds as readonly string[]).includes(value);
}

/**
 * Creates the transport for `kind` against the gateway at `baseUrl`.
 *
 * @example
 *   const transport = createTransport("grpc-web", "http://127.0.0.1:8080");
 *   const model = createClient(ModelService, transport);
 */
export function createTransport(kind: TransportKind, baseUrl: string): Transport {
  const interceptors = [createReachabilityInterceptor(baseUrl)];
  switch (kind) {
    case "connect-json":
      return createConnectTransport({ baseUrl, interceptors });
    case "connect-binary":
      return createConnectTransport({ baseUrl, interceptors, useBinaryFormat: true });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, interceptors });
  }
}
