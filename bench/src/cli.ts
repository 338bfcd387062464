/**
 * The benchmark command's arguments and output folder, checked before anything is built or started: a
 * mistyped option is a usage error with the usage line, not a stack trace half an hour in, and a folder
 * the user names with `--out` is emptied only when it holds nothing but an earlier run's output.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { PHASES, type Phase } from "./run.js";

export const USAGE = [
  "usage: node --import tsx bench/src/main.ts [--quick] [--reps N] [--out DIR] [--phases P,...] [--no-plots]",
  "       node --import tsx bench/src/main.ts --render DIR [--no-plots]",
  `phases: ${PHASES.join(", ")}`,
].join("\n");

/** A command line the benchmark cannot run; its message says what is wrong. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** What the command was asked to do. */
export interface Cli {
  quick: boolean;
  /** Repetitions, when given (otherwise the preset's). */
  reps?: number;
  /** Output folder, when given. */
  out?: string;
  plots: boolean;
  /** Phases to run, in the benchmark's own order; every phase unless `--phases` names some. */
  phases: Phase[];
  /** Re-render the report of the results in this folder instead of running. */
  render?: string;
}

/** Parses the command line (without `node` and the script); throws UsageError on anything it cannot run. */
export function parseCli(argv: string[]): Cli {
  let values: { quick?: boolean; reps?: string; out?: string; "no-plots"?: boolean; phases?: string; render?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: "boolean" },
        reps: { type: "string" },
        out: { type: "string" },
        "no-plots": { type: "boolean" },
        phases: { type: "string" },
        render: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const plots = !values["no-plots"];
  if (values.render !== undefined) {
    const others = (["quick", "reps", "out", "phases"] as const).filter((k) => values[k] !== undefined);
    if (others.length) throw new UsageError(`--render re-renders an earlier run and takes no ${others.map((k) => `--${k}`).join(", ")}`);
    if (!values.render) throw new UsageError("--render needs the folder of an earlier run");
    return { quick: false, plots, phases: [...PHASES], render: values.render };
  }
  let reps: number | undefined;
  if (values.reps !== undefined) {
    if (!/^[1-9][0-9]{0,3}$/.test(values.reps)) throw new UsageError(`--reps must be a whole number from 1 to 9999, got "${values.reps}"`);
    reps = Number(values.reps);
  }
  if (values.out === "") throw new UsageError("--out needs a folder");
  let phases: Phase[] = [...PHASES];
  if (values.phases !== undefined) {
    const asked = values.phases.split(",").map((p) => p.trim()).filter((p) => p !== "");
    const unknown = asked.filter((p) => !(PHASES as readonly string[]).includes(p));
    if (unknown.length) throw new UsageError(`unknown phase${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; known: ${PHASES.join(", ")}`);
    if (!asked.length) throw new UsageError(`--phases names no phase; known: ${PHASES.join(", ")}`);
    phases = PHASES.filter((p) => asked.includes(p));
  }
  return { quick: values.quick ?? false, reps, out: values.out, plots, phases };
}

/** What a benchmark run writes into its folder (every process's log and file goes under logs/). */
const OUTPUT = new Set(["results.json", "summary.json", "report.md", "plots", "logs"]);

/**
 * Makes `dir` an empty folder for a run. A folder named by the user that holds anything a run does not
 * write (their own files, or the repository) is left alone: UsageError.
 */
export function prepareOutDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} is not a folder`);
  const entries = readdirSync(dir);
  const foreign = entries.filter((e) => !OUTPUT.has(e));
  if (foreign.length) {
    const shown = foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? `, … (${foreign.length} in all)` : "");
    throw new UsageError(`--out ${dir} holds files a benchmark run does not write (${shown}); name a new or empty folder`);
  }
  for (const e of entries) rmSync(`${dir}/${e}`, { recursive: true, force: true });
}
