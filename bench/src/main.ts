/**
 * The benchmark command (`make bench`, `make bench-quick`):
 *
 *   node --import tsx bench/src/main.ts [--quick] [--reps N] [--out DIR] [--phases unpaced,paced,many,real-embedding]
 *   node --import tsx bench/src/main.ts --render DIR     (summary, report and plots again from DIR/results.json)
 *
 * Builds the benchmark's Go programs, runs every phase (run.ts), writes `results.json`, the markdown
 * report and the plots into DIR (default: bench/results/raw/<timestamp>, git-ignored, then copied to
 * bench/results/latest; quick mode: build/bench/quick). Exits 1 when a stack answered wrongly, 2 on a
 * command line it cannot run (cli.ts).
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCli, prepareOutDir, USAGE, UsageError, type Cli } from "./cli.js";
import { FULL, QUICK } from "./options.js";
import { PHASES, runBenchmark } from "./run.js";
import { machineInfo } from "./machine.js";
import { renderReport } from "./report/render.js";
import { summarize } from "./report/summary.js";
import { buildGoPrograms } from "./build.js";
import { BENCH_BIN, ROOT } from "./tools/paths.js";
import { run } from "./process.js";

/** Exits with status 2 and the usage line for a command line the benchmark cannot run. */
function usage(e: unknown): never {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`bench: ${e.message}\n${USAGE}\n`);
  process.exit(2);
}

// Stopped by a signal, exit through process.exit, so the workers and gateways started so far are
// killed with the benchmark (testing/process.ts) instead of running on.
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) process.once(signal, () => process.exit(code));

let cli: Cli;
try {
  cli = parseCli(process.argv.slice(2));
} catch (e) {
  usage(e);
}
/** Writes summary.json, the plots and report.md of the results in `dir`. */
async function writeReport(dir: string, results: Parameters<typeof renderReport>[0] & Parameters<typeof summarize>[0], plots: boolean): Promise<void> {
  const summary = summarize(results);
  writeFileSync(join(dir, "summary.json"), JSON.stringify(summary));
  if (plots) await run(join(ROOT, ".venv/bin/python"), [join(ROOT, "bench/report/plots.py"), dir], { timeoutMs: 300_000 });
  writeFileSync(join(dir, "report.md"), renderReport(results, summary));
}

/** JSON replacer: numbers to three decimals (microseconds, for milliseconds), so results.json stays small. */
function compact(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
}

if (cli.render !== undefined) {
  const file = join(cli.render, "results.json");
  if (!existsSync(file)) usage(new UsageError(`--render ${cli.render}: no results.json there (the folder of an earlier run has one)`));
  const results = JSON.parse(readFileSync(file, "utf8"));
  await writeReport(cli.render, results, cli.plots);
  process.exit(0);
}

const options = { ...(cli.quick ? QUICK : FULL) };
if (cli.reps !== undefined) options.reps = cli.reps;
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const dir = cli.out ?? (options.quick ? join(ROOT, "build/bench/quick") : join(ROOT, "bench/results/raw", stamp));
try {
  prepareOutDir(dir);
} catch (e) {
  usage(e);
}

await buildGoPrograms(BENCH_BIN);
const started = new Date().toISOString();
const before = machineInfo();
const allPhases = cli.phases.length === PHASES.length;
const data = await runBenchmark(dir, options, cli.phases);
for (const m of data.measurements) {
  if (m.rep === 0) continue;
  delete m.latencySample;
  if (m.stream) Object.assign(m.stream, { gap_sample: [], ttft_sample: [], timelines: [] });
}
const after = machineInfo();
const results = { started, finished: new Date().toISOString(), options, machine: { before, after }, ...data };
writeFileSync(join(dir, "results.json"), JSON.stringify(results, compact));
await writeReport(dir, results, cli.plots);
if (!options.quick && cli.out === undefined && allPhases) {
  const latest = join(ROOT, "bench/results/latest");
  rmSync(latest, { recursive: true, force: true });
  cpSync(dir, latest, { recursive: true, filter: (src) => !src.includes("/logs") });
}
const failed = data.checks.filter((c) => !c.ok);
process.stderr.write(`\nreport: ${join(dir, "report.md")}\n`);
if (failed.length) {
  process.stderr.write(`${failed.length} correctness check(s) failed:\n${failed.map((c) => `  ${c.workload} ${c.variant}: ${c.detail}`).join("\n")}\n`);
  process.exit(1);
}
