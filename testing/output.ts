import type { ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A process's output kept within a fixed size: the head (start-up lines such as `PORT 1234` or
 * `serving on …` come first and are looked for there) and the tail (what it printed last, for failure
 * messages). What falls between is counted and left out, so a chatty process cannot fill the memory.
 */
export class BoundedOutput {
  private head = "";
  private last = "";
  private seen = 0;

  /**
   * @param headChars characters kept from the start (default 8,000)
   * @param tailChars characters kept from the end (default 8,000)
   *
   * @example
   *   const out = new BoundedOutput(100, 100);
   *   out.push(chunk); // as often as output comes
   */
  constructor(
    readonly headChars = 8000,
    readonly tailChars = 8000,
  ) {}

  /** Adds output as it arrives. */
  push(text: string): void {
    this.seen += text.length;
    if (this.head.length < this.headChars) {
      const room = this.headChars - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (text) this.last = (this.last + text).slice(-this.tailChars);
  }

  /** Characters pushed so far, kept or not. */
  get length(): number {
    return this.seen;
  }

  /** Characters left out between the head and the tail. */
  get dropped(): number {
    return this.seen - this.head.length - this.last.length;
  }

  /** The head and the tail, with a marker line saying how much was left out between them. */
  text(): string {
    const dropped = this.dropped;
    return dropped > 0 ? `${this.head}\n[… ${dropped} characters left out …]\n${this.last}` : this.head + this.last;
  }

  /** The last `tailChars` characters of the output. */
  tail(): string {
    return (this.head + this.last).slice(-this.tailChars);
  }
}

/** How long to wait after an exit for the pipes to close (a grandchild that inherited them may hold them open). */
const DRAIN_MS = 1000;

/** Where a child's output goes besides the BoundedOutput. */
export interface CaptureOptions {
  /** A file that gets all of stdout and stderr; its folder is created. */
  log?: string;
  /** Append to `log` rather than replace it. */
  appendLog?: boolean;
  /** Characters kept from the start of the output (default 8,000). */
  headChars?: number;
  /** Characters kept from the end of the output (default 8,000). */
  tailChars?: number;
  /** Collects the whole of stdout and of stderr too (for commands run for their answer). */
  whole?: { stdout: string[]; stderr: string[] };
}

/**
 * Keeps a child's stdout and stderr, as text in the order they arrive, in a BoundedOutput (and a log file);
 * `drained()`, called once the child has exited, resolves when its output has been read and the log file
 * is complete.
 *
 * @example
 *   const out = captureOutput(child, "worker", { log: "build/test-logs/worker.log" });
 *   child.once("exit", () => void out.drained().then(() => console.log(out.kept.tail())));
 */
export function captureOutput(child: ChildProcess, name: string, opts: CaptureOptions = {}) {
  const kept = new BoundedOutput(opts.headChars, opts.tailChars);
  let log: ReturnType<typeof createWriteStream> | undefined;
  if (opts.log) {
    mkdirSync(dirname(resolve(opts.log)), { recursive: true });
    log = createWriteStream(opts.log, { flags: opts.appendLog ? "a" : "w" });
    log.on("error", (err) => kept.push(`\n[${name}: cannot write ${opts.log}: ${err.message}]\n`));
  }
  const keep = (text: string, whole: string[] | undefined) => {
    kept.push(text);
    whole?.push(text);
    if (log && !log.writableEnded) log.write(text);
  };
  child.stdout?.setEncoding("utf8").on("data", (text: string) => keep(text, opts.whole?.stdout));
  child.stderr?.setEncoding("utf8").on("data", (text: string) => keep(text, opts.whole?.stderr));
  child.on("error", (err) => keep(`\n[${name}: ${err.message}]\n`, undefined));
  const closed = new Promise<void>((ok) => child.once("close", () => ok()));
  // Resolves once the log file has everything written to it (at once without a log).
  const logDone = new Promise<void>((ok) => {
    if (!log) return ok();
    log.once("close", () => ok());
    log.once("error", () => ok());
  });
  const endLog = () => {
    if (log && !log.writableEnded) log.end();
    return logDone;
  };
  void closed.then(endLog);
  return {
    kept,
    /**
     * Resolves when the pipes have closed, or DRAIN_MS later if something else (a grandchild) still holds
     * them (the exited child's own output is in the pipe by then and is read, one more turn of the event
     * loop, before giving up), and the log file is complete.
     */
    async drained(): Promise<void> {
      await Promise.race([closed, sleep(DRAIN_MS, undefined, { ref: false })]);
      await new Promise((ok) => setImmediate(ok));
      await endLog();
    },
  };
}
