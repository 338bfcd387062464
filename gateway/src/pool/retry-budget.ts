/**
 * A retry budget: retries may add at most `percent` % to the calls of the last 10 seconds, or
 * `minPerSecond` per second, whichever allows more. Keeps retries from multiplying load during an outage.
 */
import type { RetryConfig } from "../config/config.js";

const WINDOW_MS = 10_000;
const BUCKETS = 10;

export class RetryBudget {
  private calls = new Array<number>(BUCKETS).fill(0);
  private retries = new Array<number>(BUCKETS).fill(0);
  private bucketStart = 0;
  private index = 0;

  constructor(private readonly cfg: RetryConfig) {}

  private roll(now: number): void {
    const width = WINDOW_MS / BUCKETS;
    if (this.bucketStart === 0) this.bucketStart = now;
    let steps = Math.floor((now - this.bucketStart) / width);
    if (steps <= 0) return;
    if (steps > BUCKETS) steps = BUCKETS;
    for (let i = 0; i < steps; i++) {
      this.index = (this.index + 1) % BUCKETS;
      this.calls[this.index] = 0;
      this.retries[this.index] = 0;
    }
    this.bucketStart = now - ((now - this.bucketStart) % width);
  }

  /** Counts a first attempt. */
  recordCall(now = Date.now()): void {
    this.roll(now);
    this.calls[this.index]!++;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(now = Date.now()): boolean {
    this.roll(now);
    const calls = this.calls.reduce((a, b) => a + b, 0);
    const retries = this.retries.reduce((a, b) => a + b, 0);
    const allowed = Math.max((calls * this.cfg.budgetPercent) / 100, (this.cfg.minPerSecond * WINDOW_MS) / 1000);
    if (retries + 1 > allowed) return false;
    this.retries[this.index]!++;
    return true;
  }
}
