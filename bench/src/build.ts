import { existsSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { run } from "./process.js";
import { ROOT } from "./tools/paths.js";

const PROGRAMS = ["token-client", "fixed-upstream"];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(go|mod|sum)$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds the benchmark's Go programs (bench/go) into `binDir` when a source is newer than the binary.
 * The Go toolchain fetches the module's dependencies through the Go module proxy on the first build.
 */
export async function buildGoPrograms(binDir: string): Promise<void> {
  const src = join(ROOT, "bench/go");
  const newest = newestSource(src);
  for (const name of PROGRAMS) {
    const bin = join(binDir, name);
    if (existsSync(bin) && statSync(bin).mtimeMs >= newest) continue;
    await run("go", ["build", "-C", src, "-o", bin, `./cmd/${name}`], { timeoutMs: 600_000 });
  }
}
