import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseCli, prepareOutDir, UsageError } from "./cli.js";
import { PHASES } from "./run.js";

const usageError = (argv: string[]) => {
  try {
    parseCli(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
};

describe("parseCli", () => {
  it("reads a full run's options, with every phase unless told", () => {
    expect(parseCli([])).toEqual({ quick: false, reps: undefined, out: undefined, plots: true, phases: [...PHASES] });
    expect(parseCli(["--quick", "--reps", "5", "--out", "/tmp/x", "--no-plots"])).toEqual({ quick: true, reps: 5, out: "/tmp/x", plots: false, phases: [...PHASES] });
  });

  it("takes phases in the benchmark's order, once each", () => {
    expect(parseCli(["--phases", "many, unpaced,many"]).phases).toEqual(["unpaced", "many"]);
  });

  it("refuses what it cannot run, saying what is wrong", () => {
    expect(usageError(["--reps", "0"])).toBe('--reps must be a whole number from 1 to 9999, got "0"');
    expect(usageError(["--reps", "three"])).toContain('got "three"');
    expect(usageError(["--reps", "2.5"])).toContain('got "2.5"');
    expect(usageError(["--phases", "paced,fast"])).toBe(`unknown phase fast; known: ${PHASES.join(", ")}`);
    expect(usageError(["--phases", ","])).toContain("names no phase");
    expect(usageError(["--repz", "2"])).toContain("--repz");
    expect(usageError(["results"])).toContain("results");
    expect(usageError(["--out", ""])).toBe("--out needs a folder");
    expect(usageError(["--render", "dir", "--quick"])).toBe("--render re-renders an earlier run and takes no --quick");
  });

  it("re-renders with only --no-plots beside --render", () => {
    expect(parseCli(["--render", "bench/results/latest", "--no-plots"])).toMatchObject({ render: "bench/results/latest", plots: false });
  });
});

describe("prepareOutDir", () => {
  const made: string[] = [];
  const folder = () => {
    const d = mkdtempSync(join(tmpdir(), "bench-out-"));
    made.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("creates a folder that does not exist", () => {
    const d = join(folder(), "a", "b");
    prepareOutDir(d);
    expect(existsSync(d)).toBe(true);
  });

  it("empties a folder that holds only an earlier run's output", () => {
    const d = folder();
    for (const f of ["results.json", "summary.json", "report.md"]) writeFileSync(join(d, f), "x");
    for (const [sub, f] of [["plots", "throughput.svg"], ["logs", "mesh-gateway.log"]]) {
      mkdirSync(join(d, sub!));
      writeFileSync(join(d, sub!, f!), "x");
    }
    prepareOutDir(d);
    expect(readdirSync(d)).toEqual([]);
  });

  it("leaves a folder with anything else in it alone", () => {
    const d = folder();
    writeFileSync(join(d, "results.json"), "x");
    writeFileSync(join(d, "notes.txt"), "mine");
    expect(() => prepareOutDir(d)).toThrow(UsageError);
    expect(() => prepareOutDir(d)).toThrow(/notes\.txt/);
    expect(readdirSync(d).sort()).toEqual(["notes.txt", "results.json"]);
  });

  it("refuses a file", () => {
    const f = join(folder(), "file");
    writeFileSync(f, "x");
    expect(() => prepareOutDir(f)).toThrow(/is not a folder/);
  });
});
