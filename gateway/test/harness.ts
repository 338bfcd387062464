/**
 * Process helpers for gateway tests: the repository's paths, plus the shared helpers of
 * testing/process.ts (free ports, child processes with bounded output, waits, commands run to completion)
 * under the names these tests use. Every process started here is killed by its handle (never by name).
 */
import { resolve } from "node:path";
import { repoRoot, waitUntil } from "../../testing/process.js";

export { freePort, run, startProcess, waitForOutput, type Proc, type RunResult } from "../../testing/process.js";

/** The repository root. */
export const ROOT = repoRoot;
/** The project's Python. */
export const PY = resolve(ROOT, ".venv/bin/python");
/** Go tools installed by scripts/bootstrap.sh. */
export const TOOLS_BIN = resolve(ROOT, ".tools/bin");

/**
 * Waits until `cond` is true, polling every `everyMs`; throws, naming `what` (and the last error `cond`
 * threw), after `timeoutMs`.
 *
 * @example
 *   await waitFor(async () => (await worker.metric(ACTIVE)) === 0, "no active generation on the worker");
 */
export function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  return waitUntil(what, cond, { timeoutMs, everyMs });
}
