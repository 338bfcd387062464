import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");

/** Where the benchmark's own Go programs are built. */
export const BENCH_BIN = join(ROOT, "build/bench/bin");

/**
 * Path of a load tool: the Go tools the bootstrap installs into .tools/bin (ghz, vegeta), the
 * benchmark's own programs in build/bench/bin, else the name itself (found on PATH, e.g. h2load).
 */
export function toolPath(name: string): string {
  for (const dir of [join(ROOT, ".tools/bin"), BENCH_BIN]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return name;
}
