/**
 * The replicas of one service. Picks the replica for a call (least outstanding requests among the
 * healthy ones whose breaker lets calls through, or among all healthy ones when every breaker is open),
 * counts calls in flight, and answers readiness. When no replica passes its health checks,
 * {@link Pool.pick} throws UNAVAILABLE at once instead of queueing.
 *
 * @example
 *   const pool = new Pool(config.pools[0], metrics);
 *   pool.start();
 *   const lease = pool.pick();   // throws ConnectError(UNAVAILABLE) when none is healthy
 *   try { ... } finally { lease.release("ok"); }
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { PoolConfig } from "../config/config.js";
import type { GatewayMetrics } from "../metrics/metrics.js";
import { Replica } from "./replica.js";
import { RetryBudget } from "./retry-budget.js";

/** How a call ended, from the pool's point of view. */
export type Outcome =
  /** The replica answered (any gRPC status). */
  | "ok"
  /** The connection failed before the call reached the replica (safe to retry anywhere). */
  | "refused"
  /** The call failed in transport after it was sent (reset, connection lost, UNAVAILABLE). */
  | "failed"
  /** The client went away or the deadline passed: says nothing about the replica. */
  | "cancelled";

/** A replica chosen for one call; release it exactly once. */
export interface Lease {
  replica: Replica;
  release(outcome: Outcome): void;
}

export class Pool {
  readonly replicas: Replica[];
  readonly budget: RetryBudget;
  private inFlight = 0;
  private rr = 0;

  constructor(readonly cfg: PoolConfig, private readonly metrics?: GatewayMetrics) {
    this.budget = new RetryBudget(cfg.retry);
    this.replicas = cfg.addresses.map(
      (a) =>
        new Replica(a, cfg, {
          onHealth: (r, healthy) => metrics?.replicaHealth(cfg.service, r.address, healthy),
          onBreaker: (r, state) => metrics?.replicaBreaker(cfg.service, r.address, state),
        }),
    );
    for (const r of this.replicas) {
      metrics?.replicaHealth(cfg.service, r.address, false);
      metrics?.replicaBreaker(cfg.service, r.address, "closed");
      if (metrics) r.stats = metrics.replica(cfg.service, r.address);
    }
  }

  /** The full service name. */
  get service(): string {
    return this.cfg.service;
  }

  /** Starts health checking every replica. */
  start(): void {
    for (const r of this.replicas) r.start();
  }

  /** Closes every connection. */
  close(): void {
    for (const r of this.replicas) r.close();
  }

  /** True when at least one replica is healthy. */
  get ready(): boolean {
    return this.replicas.some((r) => r.healthy);
  }

  /**
   * True when {@link pick} would find a replica outside `exclude` (a retry has somewhere to go), counting
   * `releasing` calls in flight as already ended (the call about to be retried still holds its slot).
   */
  canPick(exclude?: Set<Replica>, releasing = 0): boolean {
    return this.inFlight - releasing < this.cfg.maxConcurrent && this.choose(exclude, Date.now(), false) !== undefined;
  }

  /**
   * The healthy replica outside `exclude` with the fewest calls in flight among those whose breaker lets
   * calls through; when the breakers of all of them are open, the one with the fewest calls among those
   * (panic routing, as Envoy does below its panic threshold: ejection only moves calls to other replicas,
   * it never empties a pool whose health checks pass, so clients get the worker's own answer rather
   * than "no healthy replica"). Undefined when no replica outside `exclude` passes its health checks.
   */
  private choose(exclude: Set<Replica> | undefined, now: number, advance = true): Replica | undefined {
    let best: Replica | undefined;
    let ejected: Replica | undefined;
    const n = this.replicas.length;
    const start = (advance ? this.rr++ : this.rr) % Math.max(1, n);
    for (let i = 0; i < n; i++) {
      const r = this.replicas[(start + i) % n]!;
      if (!r.healthy || exclude?.has(r)) continue;
      if (r.breaker.allows(now)) {
        if (best === undefined || r.outstanding < best.outstanding) best = r;
      } else if (ejected === undefined || r.outstanding < ejected.outstanding) ejected = r;
    }
    return best ?? ejected;
  }

  /**
   * Chooses a replica for a call, skipping those in `exclude` (already tried). Throws UNAVAILABLE when
   * none is healthy, RESOURCE_EXHAUSTED when the pool's concurrency limit is reached.
   */
  pick(exclude?: Set<Replica>): Lease {
    if (this.inFlight >= this.cfg.maxConcurrent) {
      throw new ConnectError(`${this.service}: too many calls in flight (limit ${this.cfg.maxConcurrent})`, Code.ResourceExhausted);
    }
    const best = this.choose(exclude, Date.now());
    if (best === undefined) {
      const why = this.replicas.map((r) => `${r.address}: ${r.healthy ? "already tried" : r.lastError}`).join("; ");
      throw new ConnectError(`no healthy replica of ${this.service} (${why})`, Code.Unavailable);
    }
    const replica = best;
    replica.outstanding++;
    const ticket = replica.breaker.begin();
    this.inFlight++;
    const stats = replica.stats;
    if (stats) stats.outstanding = replica.outstanding;
    let released = false;
    return {
      replica,
      release: (outcome) => {
        if (released) return;
        released = true;
        replica.outstanding--;
        this.inFlight--;
        if (stats) {
          stats.outstanding = replica.outstanding;
          stats.outcomes.set(outcome, (stats.outcomes.get(outcome) ?? 0) + 1);
        }
        if (outcome === "ok") replica.breaker.success(ticket);
        else if (outcome === "refused") {
          replica.breaker.failure(Date.now(), true, ticket);
          replica.markDown("connection refused");
        } else if (outcome === "failed") replica.breaker.failure(Date.now(), false, ticket);
        else replica.breaker.release(ticket);
      },
    };
  }
}
