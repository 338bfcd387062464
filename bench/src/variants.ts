/**
 * The ways a call reaches a worker, one "variant" each: through the mesh gateway with each of its client
 * protocols, through the baseline gateway, or straight to a worker (no gateway). Every workload runs
 * a subset of these in the same run, alternating between stacks.
 */
import type { Protocol } from "./payloads.js";
import type { Stack } from "./stacks.js";
import type { StreamProtocol } from "./tools/token-client.js";

/** Which worker a workload needs. */
export type Service = "model" | "embedding";

/** One path from the load client to a worker. */
export interface Variant {
  id: string;
  /** What the report calls it. */
  label: string;
  stack: "mesh" | "baseline";
  /** Through the stack's gateway, or straight to the worker. */
  hop: "gateway" | "direct";
  /** Client protocol for unary calls. */
  protocol: Protocol;
  /** Client protocol for token streams. */
  streamProtocol: StreamProtocol;
  /** HTTP/2 (prior knowledge) or HTTP/1.1 between the client and the first hop. */
  http: "h2c" | "h1";
}

export const VARIANTS: Variant[] = [
  { id: "mesh-grpc", label: "mesh · gRPC", stack: "mesh", hop: "gateway", protocol: "grpc", streamProtocol: "grpc", http: "h2c" },
  { id: "mesh-connect", label: "mesh · Connect binary", stack: "mesh", hop: "gateway", protocol: "connect-proto", streamProtocol: "connect-proto", http: "h1" },
  { id: "mesh-connect-json", label: "mesh · Connect JSON", stack: "mesh", hop: "gateway", protocol: "connect-json", streamProtocol: "connect-json", http: "h1" },
  { id: "baseline", label: "baseline · HTTP/JSON", stack: "baseline", hop: "gateway", protocol: "http-json", streamProtocol: "sse", http: "h1" },
  { id: "direct-grpc", label: "direct · grpc.aio worker", stack: "mesh", hop: "direct", protocol: "grpc", streamProtocol: "grpc", http: "h2c" },
  { id: "direct-fastapi", label: "direct · FastAPI worker", stack: "baseline", hop: "direct", protocol: "http-json", streamProtocol: "sse", http: "h1" },
];

/**
 * The bare Node token server's variant in the many-streams workload: not a stack, a reference for what
 * Node's HTTP/2 costs per token written (its CPU is counted as a gateway's).
 */
export const REFERENCE_TOKENS = "reference-node-h2";

/** The variant with `id`. */
export function variant(id: string): Variant {
  const v = VARIANTS.find((x) => x.id === id);
  if (!v) throw new Error(`unknown variant ${id}`);
  return v;
}

/** host:port the load client calls for `v` on `service`. */
export function targetOf(v: Variant, stacks: Record<"mesh" | "baseline", Stack>, service: Service): string {
  const s = stacks[v.stack];
  if (v.hop === "gateway") return s.gateway;
  return service === "model" ? s.modelWorker : s.embeddingWorker;
}

/** The processes whose CPU and memory a run of `v` on `service` is charged with. */
export function pidsOf(v: Variant, stacks: Record<"mesh" | "baseline", Stack>, service: Service): Record<string, number> {
  const s = stacks[v.stack];
  const worker = service === "model" ? s.procs.model.pid : s.procs.embedding.pid;
  return v.hop === "gateway" ? { gateway: s.procs.gateway.pid, worker } : { worker };
}

/** Runs `variants` in order on even repetitions and reversed on odd ones (A/B, then B/A). */
export function alternate<T>(variants: T[], rep: number): T[] {
  return rep % 2 === 0 ? variants.slice() : variants.slice().reverse();
}
