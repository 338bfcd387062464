/**
 * The benchmark command (`make bench`, `make bench-quick`):
 *
 *   node --import tsx bench/src/main.ts [--quick] [--reps N] [--out DIR] [--phases unpaced,paced,many,real-embedding]
 *
 * Builds the benchmark's Go programs, runs every phase (run.ts), writes `results.json`, the markdown
 * report and the plots into DIR (default: bench/results/<timestamp>, then copied to bench/results/latest;
 * quick mode: build/bench/quick). Exits non-zero when a stack answered wrongly.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FULL, QUICK } from "./options.js";
import { PHASES, runBenchmark, type Phase } from "./run.js";
import { machineInfo } from "./machine.js";
import { renderReport } from "./report/render.js";
import { summarize } from "./report/summary.js";
import { buildGoPrograms } from "./build.js";
import { BENCH_BIN, ROOT } from "./tools/paths.js";
import { run } from "./process.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    reps: { type: "string" },
    out: { type: "string" },
    "no-plots": { type: "boolean", default: false },
    phases: { type: "string" },
  },
});
const options = { ...(values.quick ? QUICK : FULL) };
if (values.reps) options.reps = Number(values.reps);
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const dir = values.out ?? (options.quick ? join(ROOT, "build/bench/quick") : join(ROOT, "bench/results", stamp));
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

await buildGoPrograms(BENCH_BIN);
const started = new Date().toISOString();
const before = machineInfo();
const phases = values.phases ? (values.phases.split(",") as Phase[]) : PHASES;
for (const p of phases) if (!PHASES.includes(p)) throw new Error(`unknown phase ${p}; known: ${PHASES.join(", ")}`);
const data = await runBenchmark(dir, options, phases);
const after = machineInfo();
const results = { started, finished: new Date().toISOString(), options, machine: { before, after }, ...data };
writeFileSync(join(dir, "results.json"), JSON.stringify(results, null, 1));
const summary = summarize(results);
writeFileSync(join(dir, "summary.json"), JSON.stringify(summary, null, 1));
if (!values["no-plots"]) {
  await run(join(ROOT, ".venv/bin/python"), [join(ROOT, "bench/report/plots.py"), dir], { timeoutMs: 300_000 });
}
writeFileSync(join(dir, "report.md"), renderReport(results, summary));
if (!options.quick && !values.out && !values.phases) {
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
