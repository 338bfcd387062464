import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (commands run from there, as `make up` runs them). */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

/** Where the browser tests keep logs and screenshots for a reviewer. */
export const artifactsDir = join(repoRoot, "build/artifacts");
const logsDir = join(repoRoot, "build/test-logs");

/** A free TCP port on 127.0.0.1, picked by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

/** A child process whose output goes to build/test-logs/<name>.log and is kept for error messages. */
export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines of output, for failure messages. */
  tail(): string;
  /** True until the process exits. */
  alive(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `command` from the repository root with extra environment variables. */
export function startProcess(name: string, command: string, args: string[], env: Record<string, string> = {}): Proc {
  mkdirSync(logsDir, { recursive: true });
  const log = createWriteStream(join(logsDir, `${name}.log`));
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let recent = "";
  let exited = false;
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    recent = (recent + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const done = new Promise<void>((ok) =>
    child.once("exit", () => {
      exited = true;
      log.end();
      ok();
    }),
  );
  return {
    name,
    child,
    tail: () => recent,
    alive: () => !exited && child.exitCode === null,
    async stop(graceMs = 10_000) {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Polls `ready` until it resolves true; fails with the process's output if it dies or time runs out. */
export async function waitUntil(what: string, ready: () => Promise<boolean>, proc?: Proc, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc && !proc.alive()) throw new Error(`${proc.name} exited while waiting for ${what}:\n${proc.tail()}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${proc ? `:\n${proc.tail()}` : ""}`);
}

/** Runs a command to completion (output in build/test-logs/NAME.log); rejects with its output when it fails. */
export async function run(name: string, command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const proc = startProcess(name, command, args, env);
  const code = await new Promise<number | null>((ok) => proc.child.once("exit", ok));
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}:\n${proc.tail()}`);
}
