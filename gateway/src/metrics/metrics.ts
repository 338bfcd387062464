/**
 * The gateway's Prometheus metrics, in a registry of its own (several gateways may live in one process
 * in tests): calls per method, protocol and code; call duration; calls in flight; and per replica its
 * health, breaker state, calls in flight and call outcomes.
 *
 * @example
 *   const m = new GatewayMetrics();
 *   const done = m.start("agentos.model.v1.ModelService", "Generate", "grpc");
 *   done(Code.Ok);
 *   res.end(await m.registry.metrics());
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { Code } from "@connectrpc/connect";
import type { BreakerState } from "../pool/breaker.js";

interface MethodMetrics {
  active: Gauge.Internal<"service" | "method">;
  duration: Histogram.Internal<"service" | "method" | "protocol">;
  calls(code: Code | 0): Counter.Internal;
}

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, "half-open": 2 };

/** gRPC code names as used in the `code` label (OK, CANCELLED, ...). */
export function codeName(code: Code | 0): string {
  if (code === 0) return "OK";
  return Code[code]!.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly calls: Counter<"service" | "method" | "protocol" | "code">;
  private readonly duration: Histogram<"service" | "method" | "protocol">;
  private readonly active: Gauge<"service" | "method">;
  private readonly healthy: Gauge<"service" | "replica">;
  private readonly breaker: Gauge<"service" | "replica">;
  private readonly outstanding: Gauge<"service" | "replica">;
  private readonly upstream: Counter<"service" | "replica" | "outcome">;
  private readonly retries: Counter<"service">;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const r = [this.registry];
    this.calls = new Counter({ name: "agentos_gateway_calls_total", help: "Calls handled, by method, client protocol and final gRPC code.", labelNames: ["service", "method", "protocol", "code"], registers: r });
    this.duration = new Histogram({
      name: "agentos_gateway_call_duration_seconds",
      help: "Time from request to the end of the response (whole stream for streaming calls).",
      labelNames: ["service", "method", "protocol"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: r,
    });
    this.active = new Gauge({ name: "agentos_gateway_active_calls", help: "Calls in progress.", labelNames: ["service", "method"], registers: r });
    this.healthy = new Gauge({ name: "agentos_gateway_replica_healthy", help: "1 when the replica passed its last health check.", labelNames: ["service", "replica"], registers: r });
    this.breaker = new Gauge({ name: "agentos_gateway_replica_breaker_state", help: "Breaker of the replica: 0 closed, 1 open (ejected), 2 half-open.", labelNames: ["service", "replica"], registers: r });
    this.outstanding = new Gauge({ name: "agentos_gateway_replica_outstanding_calls", help: "Calls in flight to the replica.", labelNames: ["service", "replica"], registers: r });
    this.upstream = new Counter({ name: "agentos_gateway_upstream_calls_total", help: "Calls sent to each replica by outcome (ok, refused, failed, cancelled).", labelNames: ["service", "replica", "outcome"], registers: r });
    this.retries = new Counter({ name: "agentos_gateway_retries_total", help: "Calls retried on another replica.", labelNames: ["service"], registers: r });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "agentos_gateway_" });
  }

  /** Starts timing a call; the returned function ends it with its final code. */
  start(service: string, method: string, protocol: string): (code: Code | 0) => void {
    const m = this.method(service, method, protocol);
    const t0 = performance.now();
    m.active.inc();
    let done = false;
    return (code) => {
      if (done) return;
      done = true;
      m.active.dec();
      m.calls(code).inc();
      m.duration.observe((performance.now() - t0) / 1000);
    };
  }

  private readonly methods = new Map<string, MethodMetrics>();

  /** The label children of one method and protocol, looked up once (label hashing costs on the hot path). */
  private method(service: string, method: string, protocol: string): MethodMetrics {
    const key = `${service}/${method}/${protocol}`;
    let m = this.methods.get(key);
    if (!m) {
      const byCode = new Map<number, Counter.Internal>();
      m = {
        active: this.active.labels(service, method),
        duration: this.duration.labels(service, method, protocol),
        calls: (code) => {
          let c = byCode.get(code);
          if (!c) byCode.set(code, (c = this.calls.labels(service, method, protocol, codeName(code))));
          return c;
        },
      };
      this.methods.set(key, m);
    }
    return m;
  }

  private readonly outstandingChildren = new Map<string, Gauge.Internal<"service" | "replica">>();

  replicaHealth(service: string, replica: string, healthy: boolean): void {
    this.healthy.labels(service, replica).set(healthy ? 1 : 0);
  }
  replicaBreaker(service: string, replica: string, state: BreakerState): void {
    this.breaker.labels(service, replica).set(BREAKER_VALUE[state]);
  }
  replicaOutstanding(service: string, replica: string, n: number): void {
    const key = `${service}/${replica}`;
    let g = this.outstandingChildren.get(key);
    if (!g) this.outstandingChildren.set(key, (g = this.outstanding.labels(service, replica)));
    g.set(n);
  }
  upstreamCall(service: string, replica: string, outcome: string): void {
    this.upstream.labels(service, replica, outcome).inc();
  }
  retry(service: string): void {
    this.retries.labels(service).inc();
  }
}
