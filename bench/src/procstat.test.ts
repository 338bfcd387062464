/** The measurement window over real processes: CPU is counted, and a process that dies fails the measurement. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { measure } from "./procstat.js";

/** Keeps this process busy for `ms`. */
async function spin(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe("measure", () => {
  it("counts the CPU a process uses in the window", async () => {
    const { usage } = await measure({ self: process.pid }, () => spin(300));
    expect(usage.cpu.self).toBeGreaterThan(0.1);
    expect(usage.seconds).toBeGreaterThan(0.25);
    expect(usage.peakMiB.self).toBeGreaterThan(1);
  });

  it("fails the measurement, after the work, when a process dies before its window opens", async () => {
    const child = spawn("sleep", ["30"]);
    await once(child, "spawn");
    const work = async () => {
      child.kill("SIGKILL");
      await once(child, "exit");
      await new Promise((r) => setTimeout(r, 200)); // the window opens at 50 ms, on a dead process
      return "done";
    };
    await expect(measure({ gone: child.pid! }, work, { skipMs: 50, windowMs: 100 })).rejects.toThrow(/process \d+ is gone/);
  });
});
