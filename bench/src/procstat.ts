import { readdirSync, readFileSync, writeFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
const USER_HZ = 100;

/** CPU time one process (all its threads) has used so far, in seconds. */
function ownCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may contain spaces: fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/**
 * `pid` and every live process below it (a gateway started with `--workers N` is a cluster primary and
 * its N children), from /proc/<pid>/task/<tid>/children.
 */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return; // exited meanwhile
    }
    for (const tid of tasks) {
      let children = "";
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, "utf8");
      } catch {
        continue;
      }
      for (const c of children.trim().split(/\s+/)) if (c) visit(Number(c));
    }
  };
  visit(pid);
  return out;
}

/** CPU time a process and its live descendants (all their threads) have used so far, in seconds. */
export function cpuSeconds(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += ownCpuSeconds(p);
    } catch {
      if (p === pid) throw new Error(`process ${pid} is gone`);
    }
  }
  return total;
}

/** Busy and total CPU seconds of the whole machine so far (/proc/stat, all cores). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / USER_HZ, total: total / USER_HZ };
}

/** A field of /proc/<pid>/status in kB: VmHWM (peak resident set) or VmRSS. */
export function statusKb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/** Sum of the peak resident sets of a process and its live descendants, in kB. */
function treePeakKb(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += statusKb(p, "VmHWM");
    } catch {
      if (p === pid) throw new Error(`process ${pid} is gone`);
    }
  }
  return total;
}

/**
 * Resets the peak resident set (VmHWM) of a process to its current size, so the next reading is the peak
 * of one measurement only (Linux `clear_refs` value 5). Returns false where the kernel refuses.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** CPU and memory of named processes over one measurement window. */
export interface Usage {
  /** CPU seconds used in the window, per process name. */
  cpu: Record<string, number>;
  /** Peak resident set in the window (since start where the peak cannot be reset), MiB. */
  peakMiB: Record<string, number>;
  /** Length of the window, seconds. */
  seconds: number;
  /** CPU seconds the rest of the machine used in the window (other processes: the load tool, noise). */
  otherCpu: number;
}

/** A measurement window over `pids`: `begin()` then `end()`. */
export class Window {
  private cpu0: Record<string, number> = {};
  private machine0 = machineCpu();
  private t0 = 0;

  constructor(private readonly pids: Record<string, number>) {}

  /** Starts the window: resets peaks, reads CPU counters. */
  begin(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      for (const p of processTree(pid)) resetPeak(p);
      this.cpu0[name] = cpuSeconds(pid);
    }
    this.machine0 = machineCpu();
    this.t0 = performance.now();
  }

  /** Ends the window and returns what the processes used in it. */
  end(): Usage {
    const usage: Usage = { cpu: {}, peakMiB: {}, seconds: (performance.now() - this.t0) / 1000, otherCpu: 0 };
    let ours = 0;
    for (const [name, pid] of Object.entries(this.pids)) {
      const used = cpuSeconds(pid) - (this.cpu0[name] ?? 0);
      usage.cpu[name] = used;
      ours += used;
      usage.peakMiB[name] = treePeakKb(pid) / 1024;
    }
    usage.otherCpu = Math.max(0, machineCpu().busy - this.machine0.busy - ours);
    return usage;
  }
}

/**
 * Measures `pids` while `work` runs, over the window that starts `skipMs` after `work` starts and lasts
 * `windowMs` (a load tool's warm-up is skipped this way); without `windowMs`, until `work` ends.
 */
export async function measure<T>(
  pids: Record<string, number>,
  work: () => Promise<T>,
  opts: { skipMs?: number; windowMs?: number } = {},
): Promise<{ result: T; usage: Usage }> {
  const w = new Window(pids);
  let usage: Usage | undefined;
  // A process that dies during the work fails this measurement (thrown once the work is over), not the
  // whole run from inside a timer.
  let failure: { error: unknown } | undefined;
  const guarded = (fn: () => void) => () => {
    try {
      fn();
    } catch (error) {
      failure ??= { error };
    }
  };
  const timers: NodeJS.Timeout[] = [];
  if (opts.skipMs) timers.push(setTimeout(guarded(() => w.begin()), opts.skipMs));
  else w.begin();
  if (opts.windowMs !== undefined) timers.push(setTimeout(guarded(() => (usage = w.end())), (opts.skipMs ?? 0) + opts.windowMs));
  try {
    const result = await work();
    if (failure) throw failure.error;
    return { result, usage: usage ?? w.end() };
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}
