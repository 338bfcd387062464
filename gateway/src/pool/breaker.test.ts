import { describe, expect, it } from "vitest";
import { Breaker } from "./breaker.js";
import { RetryBudget } from "./retry-budget.js";

describe("Breaker", () => {
  const cfg = { consecutiveFailures: 3, baseMs: 1000, maxMs: 4000 };

  it("opens after consecutive failures, half-opens after the ejection time, closes on success", () => {
    const states: string[] = [];
    const b = new Breaker(cfg, (s) => states.push(s));
    b.failure(0);
    b.failure(0);
    expect(b.allows(0)).toBe(true);
    b.failure(0);
    expect(b.allows(500)).toBe(false);
    expect(b.allows(1000)).toBe(true); // half-open: one trial
    b.begin();
    expect(b.allows(1000)).toBe(false); // the trial is in flight
    b.success();
    expect(b.allows(1000)).toBe(true);
    expect(states).toEqual(["open", "half-open", "closed"]);
  });

  it("doubles the ejection time up to the maximum and opens at once on an immediate failure", () => {
    const b = new Breaker(cfg);
    b.failure(0, true);
    expect(b.allows(999)).toBe(false);
    expect(b.allows(1000)).toBe(true);
    b.begin();
    b.failure(1000); // trial failed: 2 s
    expect(b.allows(2999)).toBe(false);
    expect(b.allows(3000)).toBe(true);
    b.begin();
    b.failure(3000); // 4 s
    b.allows(7000);
    b.begin();
    b.failure(7000); // capped at 4 s
    expect(b.allows(10_999)).toBe(false);
    expect(b.allows(11_000)).toBe(true);
  });

  it("once open, only the trial's outcome moves it: calls begun before the opening neither close it nor let a second trial in", () => {
    const b = new Breaker({ consecutiveFailures: 3, baseMs: 1000, maxMs: 4000 });
    const old = [b.begin(), b.begin(), b.begin()]; // long calls running when the replica starts failing
    b.failure(0);
    b.failure(0);
    b.failure(0);
    expect(b.state).toBe("open");
    b.success(old[0]); // an old call answers 10 ms later: still ejected
    expect(b.state).toBe("open");
    expect(b.allows(1000)).toBe(true); // half-open: one trial
    const trial = b.begin();
    b.release(old[1]); // an old call cancelled: no second trial
    expect(b.allows(1001)).toBe(false);
    b.failure(1002, false, old[2]); // an old call failing does not decide for the trial
    expect(b.state).toBe("half-open");
    b.success(trial);
    expect(b.state).toBe("closed");
  });

  it("calls sent while the trial is out (every replica ejected) are not trials", () => {
    const b = new Breaker(cfg);
    b.failure(0, true);
    expect(b.allows(1000)).toBe(true);
    const trial = b.begin();
    expect(trial.trial).toBe(true);
    const panic = b.begin(); // the pool sends it anyway: no other replica to go to
    expect(panic.trial).toBe(false);
    b.success(panic); // says nothing about the trial
    expect(b.state).toBe("half-open");
    b.failure(1001, false, trial);
    expect(b.state).toBe("open");
  });

  it("a success resets the failure count", () => {
    const b = new Breaker(cfg);
    b.failure(0);
    b.failure(0);
    b.success();
    b.failure(0);
    b.failure(0);
    expect(b.state).toBe("closed");
  });
});

describe("RetryBudget", () => {
  it("allows the minimum per second, then a percentage of calls", () => {
    const budget = new RetryBudget({ maxAttempts: 2, budgetPercent: 10, minPerSecond: 0.2 });
    const t = 1_000_000;
    expect(budget.tryRetry(t)).toBe(true); // 0.2/s over 10 s = 2 retries
    expect(budget.tryRetry(t)).toBe(true);
    expect(budget.tryRetry(t)).toBe(false);
    for (let i = 0; i < 100; i++) budget.recordCall(t);
    expect(budget.tryRetry(t)).toBe(true); // 10% of 100 calls = 10
    for (let i = 0; i < 7; i++) expect(budget.tryRetry(t)).toBe(true);
    expect(budget.tryRetry(t)).toBe(false);
    expect(budget.tryRetry(t + 11_000)).toBe(true); // the window moved on
  });
});
