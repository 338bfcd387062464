/**
 * Child processes for the test suites and the benchmark, in one place: free ports on 127.0.0.1, processes
 * whose output is kept (bounded: its head and its tail) for failure messages and optionally logged to a
 * file, waits with a timeout that say what the process printed, commands run to completion, and stopping
 * (SIGTERM, then SIGKILL after a grace period). Every process is ended through its own handle, never by
 * name, and whatever is still running when this process exits is killed with it. Used by
 * gateway/test/harness.ts, web/e2e/processes.ts and bench/src/process.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { basename, dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { BoundedOutput, captureOutput, type CaptureOptions } from "./output.js";

export { BoundedOutput };

/** The repository root: processes start there unless told otherwise, as `make up` starts them. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Ports freePort() has handed out in this process. */
const handedOut = new Set<number>();

/**
 * Where freePort() picks from: below the kernel's ephemeral range, from 11000 up, above every "bad port"
 * of the Fetch standard (the last is 10080), which fetch() and browsers refuse to connect to.
 */
const PICK_FROM = 11_000;
/** The highest of the Fetch standard's bad ports (10080): fetch() and browsers refuse them all. */
const BAD_PORTS_END = 10_080;

/**
 * The kernel's ephemeral port range (Linux: /proc/sys/net/ipv4/ip_local_port_range): the ports it gives
 * to outgoing connections and to servers that listen on port 0.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // Not Linux: assume the IANA range.
  }
  return [49152, 65535];
}

/**
 * A free TCP port on 127.0.0.1, never one this process was given before. It is picked at random below
 * the kernel's ephemeral range and checked by listening on it, so the kernel cannot give it meanwhile to
 * an outgoing connection or to a server listening on port 0: with many suites running side by side, a
 * port the kernel picked and freed again was sometimes taken that way before the worker it was meant for
 * could bind it. Another process picking the same port at the same moment is still possible (test
 * processes pick at random from ~20,000 ports), so start the server right away; its bind then fails
 * loudly. Where the ephemeral range leaves too little room below it, the kernel picks (never a bad port).
 *
 * @example
 *   const port = await freePort();
 *   const worker = startProcess(PY, ["-m", "workers.model", "--port", String(port)]);
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const wanted = low - PICK_FROM >= 1000 ? PICK_FROM + Math.floor(Math.random() * (low - PICK_FROM)) : 0;
    const port = await listenable(wanted);
    // The kernel's own pick (a range that starts low) may be a Fetch "bad port": fetch() refuses those.
    if (port !== undefined && port > BAD_PORTS_END && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port on 127.0.0.1 that was not handed out before (${handedOut.size} handed out)`);
}

/**
 * `port` (0: one the kernel picks) if a server can listen on it at 127.0.0.1 now, undefined when it is in
 * use or not ours to take; any other error (no 127.0.0.1 to listen on) is thrown.
 */
function listenable(port: number): Promise<number | undefined> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" || e.code === "EACCES" ? ok(undefined) : fail(e)));
    server.listen(port, "127.0.0.1", () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => ok(bound));
    });
  });
}

/** Children started here that are still running. */
const running = new Set<ChildProcess>();
let reaping = false;

/**
 * Keeps `child` in {@link running} until it exits. However this process ends (a crash included: an
 * uncaught exception still emits `exit`), the children still running are killed with it, so no worker
 * or gateway of a run that died stays behind holding ports and CPU.
 */
function track(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (reaping) return;
  reaping = true;
  process.once("exit", () => {
    for (const c of running) c.kill("SIGKILL");
  });
}

/** How to start a process; `log`, `appendLog`, `headChars` and `tailChars` say where its output goes. */
export interface StartOptions extends Omit<CaptureOptions, "whole"> {
  /** Name for messages (default: the command's file name). */
  name?: string;
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Variables added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Default grace period of `stop()` before SIGKILL (default 5,000 ms). */
  graceMs?: number;
}

/** A running (or ended) child process with the output it printed. */
export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The log file, when one was asked for. */
  readonly log: string | undefined;
  /** stdout and stderr as printed: the head and the tail, with a marker where the middle was left out. */
  output(): string;
  /** The last part of the output, for failure messages. */
  tail(): string;
  /** True until the process exits. */
  alive(): boolean;
  /** Resolves with the exit code (null when a signal ended it) once it has exited and its output is read. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM), then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/**
 * Starts `cmd` with its stdout and stderr kept (bounded) and, with `log`, written to a file. Throws at
 * once when the command cannot be spawned at all (missing or not executable).
 *
 * @example
 *   const backend = startProcess(PY, ["backend.py"], { name: "backend", log: "build/test-logs/backend.log" });
 *   const [, port] = await waitForOutput(backend, /PORT (\d+)/);
 */
export function startProcess(cmd: string, args: readonly string[], opts: StartOptions = {}): Proc {
  const name = opts.name ?? basename(cmd);
  const child = spawn(cmd, [...args], { cwd: opts.cwd ?? repoRoot, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  const out = captureOutput(child, name, opts);
  if (child.pid === undefined) {
    throw new Error(`could not start ${name}: spawning ${cmd} failed (missing, not executable, or no process slots left)`);
  }
  const pid = child.pid;
  track(child);
  const ended = new Promise<void>((ok) => child.once("exit", () => ok()));
  const exited = ended.then(() => out.drained()).then(() => child.exitCode);
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    child,
    pid,
    log: opts.log,
    output: () => out.kept.text(),
    tail: () => out.kept.tail(),
    alive,
    exited,
    async stop(signal = "SIGTERM", graceMs = opts.graceMs ?? 5000) {
      if (alive()) {
        child.kill(signal);
        const timer = signal === "SIGKILL" ? undefined : setTimeout(() => child.kill("SIGKILL"), graceMs);
        await ended;
        clearTimeout(timer);
      }
      await exited;
    },
  };
}

/** How long to wait, how often to look, and which process must stay alive meanwhile. */
export interface WaitOptions {
  /** Default 30,000 ms. */
  timeoutMs?: number;
  /** Default 100 ms. */
  everyMs?: number;
  /** Fail at once, with its output, if this process exits; its output also goes into a timeout's message. */
  proc?: Proc;
}

/**
 * Polls `ready` until it returns true. A `ready` that throws counts as not ready (its last error goes into
 * the message). Rejects when `opts.proc` exits first, or after `timeoutMs`, saying what it waited for and
 * the tail of the process's output.
 *
 * @example
 *   await waitUntil("the gateway /readyz", async () => (await fetch(`${url}/readyz`)).ok, { proc, timeoutMs: 60_000 });
 */
export async function waitUntil(what: string, ready: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 30_000, everyMs = 100, proc } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (proc && !proc.alive()) {
      await proc.exited;
      throw new Error(`${proc.name} exited (${exitOf(proc)}) while waiting for ${what}${outputFor(proc)}`);
    }
    const left = deadline - Date.now();
    try {
      if (await withinMs(Promise.resolve().then(ready), Math.max(left, 0))) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const last = lastError === undefined ? "" : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}${proc ? outputFor(proc) : ""}`);
    }
    await sleep(Math.min(everyMs, Math.max(deadline - Date.now(), 0)));
  }
}

/**
 * Waits until the process has printed a line matching `pattern` (searched in its kept output, whose head
 * holds the start-up lines) and returns the match. Rejects like waitUntil when the process exits without
 * printing it or time runs out.
 *
 * @example
 *   const port = Number((await waitForOutput(backend, /PORT (\d+)/))[1]);
 */
export async function waitForOutput(proc: Proc, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const find = () => {
    pattern.lastIndex = 0;
    return pattern.exec(proc.output());
  };
  // The output is looked at before the liveness: a line printed just before the exit still counts.
  await waitUntil(`${proc.name} to print ${String(pattern)}`, () => find() !== null || !proc.alive(), { timeoutMs, everyMs: 50 });
  let match = find();
  if (!match) {
    await proc.exited;
    match = find();
  }
  if (match) return match;
  throw new Error(`${proc.name} exited (${exitOf(proc)}) without printing ${String(pattern)}${outputFor(proc)}`);
}

/** How to run a command to completion. */
export interface RunOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Variables added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Written to its stdin (default: stdin is empty). */
  input?: string;
  /** SIGKILL after this long (default: no limit). */
  timeoutMs?: number;
  /** A file that gets all of stdout and stderr; its folder is created. */
  log?: string;
}

/** What a finished command printed and how it ended. */
export interface RunResult {
  /** The exit code; null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The whole of stdout: a command run to completion is run for its answer. */
  stdout: string;
  stderr: string;
  /** True when `timeoutMs` ran out and the command was killed. */
  timedOut: boolean;
  /** stdout and stderr interleaved as printed, bounded like Proc.output(). */
  output: string;
}

/**
 * Runs a command to completion and resolves with how it ended, whatever its exit code. Rejects only when
 * it cannot be spawned.
 *
 * @example
 *   const r = await run("curl", ["-sS", `${base}/healthz`], { timeoutMs: 30_000 });
 *   expect(r.code, r.output).toBe(0);
 */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((ok, fail) => {
    const stdin = opts.input === undefined ? "ignore" : "pipe";
    const child = spawn(cmd, [...args], { cwd: opts.cwd ?? repoRoot, env: { ...process.env, ...opts.env }, stdio: [stdin, "pipe", "pipe"] });
    const whole = { stdout: [] as string[], stderr: [] as string[] };
    const out = captureOutput(child, basename(cmd), { log: opts.log, whole });
    child.once("error", (err) => {
      if (child.pid === undefined) fail(new Error(`could not run ${cmd}: ${err.message}`));
    });
    child.stdin?.on("error", () => undefined); // a command that exits without reading its input
    child.stdin?.end(opts.input);
    let timedOut = false;
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      void out.drained().then(() =>
        ok({ code, signal, stdout: whole.stdout.join(""), stderr: whole.stderr.join(""), timedOut, output: out.kept.text() }),
      );
    });
  });
}

/**
 * Like run, but rejects unless the command exits 0, with the command, how it ended and the tail of its
 * output in the message.
 *
 * @example
 *   const json = (await runChecked("ghz", args, { timeoutMs: 120_000 })).stdout;
 */
export async function runChecked(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code === 0) return r;
  const how = r.timedOut ? `timed out after ${opts.timeoutMs} ms` : `failed (${r.code ?? r.signal})`;
  const where = opts.log ? `\n(full log: ${opts.log})` : "";
  throw new Error(`${cmd} ${args.join(" ")} ${how}:\n${r.output.slice(-4000)}${where}`);
}

function exitOf(proc: Proc): string {
  return proc.child.signalCode ? `signal ${proc.child.signalCode}` : `code ${proc.child.exitCode}`;
}

function outputFor(proc: Proc): string {
  return `\n--- ${proc.name}, last output ---\n${proc.tail()}${proc.log ? `\n(full log: ${proc.log})` : ""}`;
}

/** `p`, or false when it has not settled within `ms` (the timer is cleared as soon as `p` settles). */
async function withinMs(p: Promise<boolean>, ms: number): Promise<boolean> {
  const cap = new AbortController();
  try {
    return await Promise.race([p, sleep(ms, false, { signal: cap.signal }).catch(() => false)]);
  } finally {
    cap.abort();
  }
}
