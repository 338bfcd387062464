/**
 * The benchmark's process helpers: the shared ones of testing/process.ts, with every process's output
 * appended to a log file of the run (bench/results/raw/<stamp>/ or build/bench/quick/).
 */
import * as shared from "../../testing/process.js";

/** A process the harness started, with its log file. */
export type Proc = shared.Proc & { readonly log: string };

/**
 * Starts `cmd` with its output appended to `log`. The harness ends only the processes it started, by pid.
 * Commands run from the current directory, where `--out` and other relative paths were given.
 *
 * @example
 *   const p = startProcess("worker", ".venv/bin/python", ["-m", "bench.baseline.worker", "--port", "0"], "w.log");
 */
export function startProcess(name: string, cmd: string, args: string[], log: string, env: NodeJS.ProcessEnv = {}): Proc {
  return { ...shared.startProcess(cmd, args, { name, log, appendLog: true, env, cwd: process.cwd() }), log };
}

/** Polls `probe` until it returns true; rejects with the process's output if it exits or `timeoutMs` passes. */
export function waitUntil(proc: Proc, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  return shared.waitUntil(`${proc.name} to be ready`, probe, { proc, timeoutMs });
}

/** Runs a command to completion and returns its stdout; rejects with its output on a non-zero exit. */
export async function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return (await shared.runChecked(cmd, args, { ...opts, cwd: process.cwd() })).stdout;
}
