/**
 * Process helpers for the browser tests: the shared helpers of testing/process.ts with every process's
 * output also written to build/test-logs/<name>.log for a reviewer.
 */
import { join } from "node:path";
import { repoRoot, runChecked, startProcess as start, waitUntil as wait, type Proc } from "../../testing/process.js";

export { freePort, repoRoot, type Proc } from "../../testing/process.js";

/** Where the browser tests keep logs and screenshots for a reviewer. */
export const artifactsDir = join(repoRoot, "build/artifacts");
const logsDir = join(repoRoot, "build/test-logs");

/** Starts `command` from the repository root with extra environment variables; output in build/test-logs/NAME.log. */
export function startProcess(name: string, command: string, args: string[], env: Record<string, string> = {}): Proc {
  return start(command, args, { name, env, log: join(logsDir, `${name}.log`), graceMs: 10_000 });
}

/** Polls `ready` until it resolves true; fails with the process's output if it dies or time runs out. */
export function waitUntil(what: string, ready: () => Promise<boolean>, proc?: Proc, timeoutMs = 120_000): Promise<void> {
  return wait(what, ready, { proc, timeoutMs, everyMs: 150 });
}

/** Runs a command to completion (output in build/test-logs/NAME.log); rejects with its output when it fails. */
export async function run(name: string, command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  await runChecked(command, args, { env, log: join(logsDir, `${name}.log`) });
}
