/**
 * Passive ejection of one replica as a circuit breaker: transport failures in a row open it for a while
 * (doubling on each new opening), then one trial call is let through (half-open); its success closes the
 * breaker, its failure opens it again for longer.
 *
 * @example
 *   const b = new Breaker({ consecutiveFailures: 3, baseMs: 1000, maxMs: 30000 });
 *   if (b.allows(Date.now())) { b.begin(); ...; b.success(); }
 */
import type { EjectionConfig } from "../config/config.js";

/** Breaker states as exported in metrics: 0 closed, 1 open, 2 half-open. */
export type BreakerState = "closed" | "open" | "half-open";

/** What {@link Breaker.begin} hands a call: whether it is the half-open trial. */
export interface BreakerTicket {
  trial: boolean;
}

export class Breaker {
  private failures = 0;
  private openings = 0;
  private openUntil = 0;
  private trialInFlight = false;
  state: BreakerState = "closed";

  constructor(private readonly cfg: EjectionConfig, private readonly onChange: (s: BreakerState) => void = () => {}) {}

  /** Whether a call may go to the replica now. */
  allows(now: number): boolean {
    if (this.state === "closed") return true;
    if (this.state === "open") {
      if (now < this.openUntil) return false;
      this.set("half-open");
    }
    return !this.trialInFlight;
  }

  /**
   * Marks the start of a call; its ticket goes with its outcome. The first call while half-open is the
   * trial; calls the pool sends while the breaker is open or its trial is out (every replica ejected)
   * are not.
   */
  begin(): BreakerTicket {
    const trial = this.state === "half-open" && !this.trialInFlight;
    if (trial) this.trialInFlight = true;
    return { trial };
  }

  /**
   * Whether a call's outcome may move the breaker: any call's while it is closed, only the trial's once
   * it has opened (a call begun before the opening that ends later says nothing about the replica now:
   * its success must not undo the ejection, nor its failure or its end let a second trial in). A call
   * without a ticket is taken as the current one.
   */
  private counts(ticket: BreakerTicket | undefined): boolean {
    return this.state === "closed" || ticket === undefined || ticket.trial;
  }

  /** A call that reached the replica and got an answer, whatever its status. */
  success(ticket?: BreakerTicket): void {
    if (!this.counts(ticket)) return;
    this.failures = 0;
    this.trialInFlight = false;
    if (this.state !== "closed") {
      this.openings = 0;
      this.set("closed");
    }
  }

  /** A transport failure; `immediate` (e.g. connection refused) opens the breaker at once. */
  failure(now: number, immediate = false, ticket?: BreakerTicket): void {
    if (!this.counts(ticket)) return;
    this.failures++;
    this.trialInFlight = false;
    if (this.state === "half-open" || immediate || this.failures >= this.cfg.consecutiveFailures) this.open(now);
  }

  /** Releases a half-open trial that ended without telling (e.g. cancelled by the client). */
  release(ticket?: BreakerTicket): void {
    if (ticket === undefined || ticket.trial) this.trialInFlight = false;
  }

  private open(now: number): void {
    const ms = Math.min(this.cfg.maxMs, this.cfg.baseMs * 2 ** this.openings);
    this.openings++;
    this.openUntil = now + ms;
    this.failures = 0;
    this.set("open");
  }

  private set(s: BreakerState): void {
    if (this.state === s) return;
    this.state = s;
    this.onChange(s);
  }
}
