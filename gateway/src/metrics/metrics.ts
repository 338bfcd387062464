/**
 * The gateway's Prometheus metrics, in a registry of its own (several gateways may live in one process
 * in tests): calls per method, protocol and code; call duration; calls in flight; and per replica its
 * health, breaker state, calls in flight and call outcomes. Per-call figures are plain numbers
 * ({@link MethodStats}, {@link ReplicaStats}) that the registry reads when `/metrics` is scraped.
 *
 * @example
 *   const m = new GatewayMetrics();
 *   const done = m.start("agentos.model.v1.ModelService", "Generate", "grpc");
 *   done(Code.Ok);
 *   res.end(await m.registry.metrics());
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { Code } from "@connectrpc/connect";
import type { BreakerState } from "../pool/breaker.js";

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The figures of one method and client protocol, kept as plain numbers on the hot path (prom-client
 * hashes the label values on every `inc`/`observe`, even through a label child) and read by the
 * registry's metrics when scraped.
 */
export class MethodStats {
  /** Calls in progress. */
  active = 0;
  /** Finished calls by gRPC code (0..16). */
  readonly byCode = new Float64Array(17);
  /** Calls per duration bucket (not cumulative; the last slot is +Inf). */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
  /** Sum of durations in seconds. */
  sum = 0;

  constructor(readonly service: string, readonly method: string, readonly protocol: string) {}

  /** A call starts; returns its start time for {@link MethodStats.end}. */
  begin(): number {
    this.active++;
    return performance.now();
  }

  /** A call that began at `t0` ended with `code`. */
  end(t0: number, code: Code | 0): void {
    this.active--;
    this.byCode[code >= 0 && code <= 16 ? code : Code.Unknown]!++;
    const s = (performance.now() - t0) / 1000;
    this.sum += s;
    let i = 0;
    while (i < DURATION_BUCKETS.length && s > DURATION_BUCKETS[i]!) i++;
    this.buckets[i]!++;
  }
}

/** The call-duration histogram, rendered from {@link MethodStats} when scraped (a prom-client metric object). */
class DurationHistogram {
  readonly name = "agentos_gateway_call_duration_seconds";
  readonly help = "Time from request to the end of the response (whole stream for streaming calls).";
  readonly type = "histogram";
  readonly aggregator = "sum";
  constructor(private readonly stats: Iterable<MethodStats>) {}

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const m of this.stats) {
      const labels = { service: m.service, method: m.method, protocol: m.protocol };
      let acc = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        acc += m.buckets[i]!;
        values.push({ labels: { ...labels, le: DURATION_BUCKETS[i]! }, value: acc, metricName: `${this.name}_bucket` });
      }
      acc += m.buckets[DURATION_BUCKETS.length]!;
      values.push({ labels: { ...labels, le: "+Inf" }, value: acc, metricName: `${this.name}_bucket` });
      values.push({ labels, value: m.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: acc, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {}
}

/** Per-replica figures kept as plain numbers, read when scraped. */
export interface ReplicaStats {
  service: string;
  replica: string;
  outstanding: number;
  outcomes: Map<string, number>;
  /** Unary and server-streaming calls sent on a worker link (pool/link.ts) rather than on a stream of their own. */
  linkCalls: number;
  /** Worker links open to the replica (one per connection whose worker serves the link). */
  linksOpen: number;
  /** Of those, the links carried on the worker's link socket (pool/link-socket.ts). */
  linkSocketsOpen: number;
}

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, "half-open": 2 };

/** gRPC's own code names as used in the `code` label (OK, CANCELLED, ...), as the workers' metrics use them. */
export function codeName(code: Code | 0): string {
  if (code === 0) return "OK";
  if (code === Code.Canceled) return "CANCELLED"; // connect-es spells the enum member the American way
  return Code[code]!.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly healthy: Gauge<"service" | "replica">;
  private readonly breaker: Gauge<"service" | "replica">;
  private readonly retries: Counter<"service">;
  private readonly methods = new Map<string, MethodStats>();
  private readonly replicas = new Map<string, ReplicaStats>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const r = [this.registry];
    const methods = this.methods;
    const replicas = this.replicas;
    new Counter({
      name: "agentos_gateway_calls_total",
      help: "Calls handled, by method, client protocol and final gRPC code.",
      labelNames: ["service", "method", "protocol", "code"],
      registers: r,
      collect() {
        this.reset();
        for (const m of methods.values()) {
          for (let code = 0; code < m.byCode.length; code++) {
            const n = m.byCode[code]!;
            if (n > 0) this.inc({ service: m.service, method: m.method, protocol: m.protocol, code: codeName(code as Code | 0) }, n);
          }
        }
      },
    });
    this.registry.registerMetric(new DurationHistogram({ [Symbol.iterator]: () => methods.values() }) as never);
    new Gauge({
      name: "agentos_gateway_active_calls",
      help: "Calls in progress.",
      labelNames: ["service", "method"],
      registers: r,
      collect() {
        this.reset();
        for (const m of methods.values()) this.inc({ service: m.service, method: m.method }, m.active);
      },
    });
    this.healthy = new Gauge({ name: "agentos_gateway_replica_healthy", help: "1 when the replica passed its last health check.", labelNames: ["service", "replica"], registers: r });
    this.breaker = new Gauge({ name: "agentos_gateway_replica_breaker_state", help: "Breaker of the replica: 0 closed, 1 open (ejected), 2 half-open.", labelNames: ["service", "replica"], registers: r });
    new Gauge({
      name: "agentos_gateway_replica_outstanding_calls",
      help: "Calls in flight to the replica.",
      labelNames: ["service", "replica"],
      registers: r,
      collect() {
        this.reset();
        for (const x of replicas.values()) this.set({ service: x.service, replica: x.replica }, x.outstanding);
      },
    });
    new Counter({
      name: "agentos_gateway_upstream_calls_total",
      help: "Calls sent to each replica by outcome (ok, refused, failed, cancelled).",
      labelNames: ["service", "replica", "outcome"],
      registers: r,
      collect() {
        this.reset();
        for (const x of replicas.values()) for (const [outcome, n] of x.outcomes) this.inc({ service: x.service, replica: x.replica, outcome }, n);
      },
    });
    new Counter({
      name: "agentos_gateway_replica_link_calls_total",
      help: "Unary and server-streaming calls sent to the replica on a worker link (many per message) instead of a stream each.",
      labelNames: ["service", "replica"],
      registers: r,
      collect() {
        this.reset();
        for (const x of replicas.values()) this.inc({ service: x.service, replica: x.replica }, x.linkCalls);
      },
    });
    new Gauge({
      name: "agentos_gateway_replica_links_open",
      help: "Worker links open to the replica (0: calls take a stream each, e.g. the worker does not serve the link).",
      labelNames: ["service", "replica"],
      registers: r,
      collect() {
        this.reset();
        for (const x of replicas.values()) this.set({ service: x.service, replica: x.replica }, x.linksOpen);
      },
    });
    new Gauge({
      name: "agentos_gateway_replica_link_sockets_open",
      help: "Of the worker links open to the replica, those on the worker's link socket (the others are on their Exchange stream).",
      labelNames: ["service", "replica"],
      registers: r,
      collect() {
        this.reset();
        for (const x of replicas.values()) this.set({ service: x.service, replica: x.replica }, x.linkSocketsOpen);
      },
    });
    this.retries = new Counter({ name: "agentos_gateway_retries_total", help: "Calls retried on another replica.", labelNames: ["service"], registers: r });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "agentos_gateway_" });
  }

  /** The figures of one method and protocol; look them up once and call `begin`/`end` per call. */
  method(service: string, method: string, protocol: string): MethodStats {
    const key = `${service}/${method}/${protocol}`;
    let m = this.methods.get(key);
    if (!m) this.methods.set(key, (m = new MethodStats(service, method, protocol)));
    return m;
  }

  /** Starts timing a call; the returned function ends it with its final code. */
  start(service: string, method: string, protocol: string): (code: Code | 0) => void {
    const m = this.method(service, method, protocol);
    const t0 = m.begin();
    let done = false;
    return (code) => {
      if (done) return;
      done = true;
      m.end(t0, code);
    };
  }

  /** The figures of one replica; pools keep the object and update it per call. */
  replica(service: string, replica: string): ReplicaStats {
    const key = `${service}/${replica}`;
    let x = this.replicas.get(key);
    if (!x) this.replicas.set(key, (x = { service, replica, outstanding: 0, outcomes: new Map(), linkCalls: 0, linksOpen: 0, linkSocketsOpen: 0 }));
    return x;
  }

  replicaHealth(service: string, replica: string, healthy: boolean): void {
    this.healthy.labels(service, replica).set(healthy ? 1 : 0);
  }
  replicaBreaker(service: string, replica: string, state: BreakerState): void {
    this.breaker.labels(service, replica).set(BREAKER_VALUE[state]);
  }
  replicaOutstanding(service: string, replica: string, n: number): void {
    this.replica(service, replica).outstanding = n;
  }
  upstreamCall(service: string, replica: string, outcome: string): void {
    const x = this.replica(service, replica);
    x.outcomes.set(outcome, (x.outcomes.get(outcome) ?? 0) + 1);
  }
  retry(service: string): void {
    this.retries.labels(service).inc();
  }
}
