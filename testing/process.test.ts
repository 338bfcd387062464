import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { freePort, run, runChecked, startProcess, waitForOutput, waitUntil, type Proc } from "./process.js";

const dir = mkdtempSync(join(tmpdir(), "agentos-testing-process-"));
const started: Proc[] = [];

/** A Node child running `script`, stopped after each test if it still runs. */
function node(name: string, script: string, opts: Parameters<typeof startProcess>[2] = {}): Proc {
  const p = startProcess(process.execPath, ["-e", script], { name, ...opts });
  started.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop("SIGKILL")));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("startProcess", () => {
  it("keeps the first lines and the last ones of a chatty process, bounded, and logs all of it", async () => {
    const log = join(dir, "logs/chatty.log");
    const p = node("chatty", 'console.log("PORT 4242"); process.stdout.write("x".repeat(1_000_000)); console.log("\\nLAST LINE")', { log, headChars: 1000, tailChars: 1000 });
    expect(await p.exited).toBe(0);
    const out = p.output();
    expect(out.startsWith("PORT 4242\n")).toBe(true);
    expect(out).toMatch(/characters left out/);
    expect(out.trimEnd().endsWith("LAST LINE")).toBe(true);
    expect(out.length).toBeLessThan(2100);
    expect(p.tail().trimEnd().endsWith("LAST LINE")).toBe(true);
    expect(readFileSync(log, "utf8").length).toBeGreaterThan(1_000_000);
  });

  it("throws at once, naming the process, when the command does not exist", () => {
    expect(() => startProcess(join(dir, "no-such-command"), [], { name: "ghost" })).toThrow(/could not start ghost/);
  });

  it("passes extra environment variables and starts in the repository root", async () => {
    const p = node("env", 'console.log(process.env.AGENTOS_TEST_VALUE, require("fs").existsSync("testing/process.ts"))', { env: { AGENTOS_TEST_VALUE: "from-the-test" } });
    expect(await p.exited).toBe(0);
    expect(p.output().trim()).toBe("from-the-test true");
  });
});

describe("when the parent process dies", () => {
  it("its children still running are killed with it, even when it dies of an uncaught exception", async () => {
    const script = join(dir, "crash.ts");
    const module = JSON.stringify(new URL("./process.ts", import.meta.url).pathname);
    writeFileSync(script, `import { startProcess } from ${module};\nconst child = startProcess("sleep", ["60"], { name: "orphan" });\nconsole.log("CHILD " + child.pid);\nsetTimeout(() => { throw new Error("the parent crashes"); }, 200);\n`);
    const crashing = startProcess(process.execPath, ["--import", "tsx", script], { name: "crashing" });
    started.push(crashing);
    const [, pid] = await waitForOutput(crashing, /CHILD (\d+)/);
    expect(alive(Number(pid))).toBe(true);
    expect(await crashing.exited).not.toBe(0);
    expect(crashing.output()).toContain("the parent crashes");
    await waitUntil("the orphan to be gone", () => !alive(Number(pid)), { timeoutMs: 5000 });
  });
});

/** Whether a process with this pid runs (a zombie no longer does). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

describe("stop", () => {
  it("sends SIGTERM first, then SIGKILL to a child that ignores it", async () => {
    const p = node("stubborn", 'process.on("SIGTERM", () => console.log("ignoring SIGTERM")); console.log("ready"); setInterval(() => {}, 1000)');
    await waitForOutput(p, /ready/);
    await p.stop("SIGTERM", 500);
    expect(p.alive()).toBe(false);
    expect(p.child.signalCode).toBe("SIGKILL");
    expect(p.output()).toContain("ignoring SIGTERM");
  });

  it("lets a child that exits on SIGTERM end by itself", async () => {
    const p = node("polite", 'process.on("SIGTERM", () => { console.log("bye"); process.exit(0); }); console.log("ready"); setInterval(() => {}, 1000)');
    await waitForOutput(p, /ready/);
    await p.stop("SIGTERM", 30_000);
    expect(p.child.signalCode).toBeNull();
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain("bye");
  });
});

describe("waitUntil and waitForOutput", () => {
  it("times out with what it waited for and the tail of the output", async () => {
    const p = node("slow", 'console.log("still warming up: step 7"); setInterval(() => {}, 1000)');
    await waitForOutput(p, /step 7/);
    const err = await waitUntil("the slow thing to be ready", () => false, { proc: p, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^timed out after 300 ms waiting for the slow thing to be ready/);
    expect((err as Error).message).toContain("still warming up: step 7");
  });

  it("says the last error of a probe that throws", async () => {
    const err = await waitUntil("a probe", () => Promise.reject(new Error("connection refused")), { timeoutMs: 200 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/timed out after 200 ms waiting for a probe \(last error: connection refused\)/);
  });

  it("fails at once, with the output, when the process exits while it waits", async () => {
    const p = node("crashing", 'console.error("boom: no model file"); process.exit(3)');
    const err = await waitUntil("never", () => false, { proc: p, timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^crashing exited \(code 3\) while waiting for never/);
    expect((err as Error).message).toContain("boom: no model file");
  });

  it("returns the match of a line the process prints, even when it exits right after", async () => {
    const p = node("announcer", 'console.log("PORT 5150"); process.exit(0)');
    const m = await waitForOutput(p, /PORT (\d+)/);
    expect(m[1]).toBe("5150");
  });

  it("rejects when the process exits without printing the line", async () => {
    const p = node("mute", "process.exit(1)");
    await expect(waitForOutput(p, /PORT (\d+)/)).rejects.toThrow(/mute exited \(code 1\) without printing/);
  });
});

describe("run and runChecked", () => {
  it("returns the whole stdout, the stderr, the exit code, and feeds stdin", async () => {
    const r = await run(process.execPath, ["-e", 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { process.stdout.write(s.toUpperCase() + "y".repeat(100_000)); console.error("warn"); process.exit(2); })'], { input: "abc" });
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(100_003);
    expect(r.stdout.startsWith("ABC")).toBe(true);
    expect(r.stderr.trim()).toBe("warn");
    expect(r.timedOut).toBe(false);
  });

  it("kills a command that runs past its timeout", async () => {
    const r = await run(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
  });

  it("rejects a failing command with how it ended and its output", async () => {
    const log = join(dir, "failing.log");
    await expect(runChecked(process.execPath, ["-e", 'console.error("bad flag --frob"); process.exit(4)'], { log })).rejects.toThrow(/failed \(4\):\n[^]*bad flag --frob[^]*full log: .*failing\.log/);
    expect(readFileSync(log, "utf8")).toContain("bad flag --frob");
  });

  it("rejects a command that cannot be spawned", async () => {
    await expect(run(join(dir, "no-such-command"), [])).rejects.toThrow(/could not run/);
  });
});

describe("freePort", () => {
  it("returns a port that can be listened on at 127.0.0.1", async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((ok, fail) => server.once("error", fail).listen(port, "127.0.0.1", ok));
    await new Promise((ok) => server.close(ok));
    expect(port).toBeGreaterThan(0);
  });
});

describe("freePort, where it picks", () => {
  const rangeFile = "/proc/sys/net/ipv4/ip_local_port_range";
  it.runIf(existsSync(rangeFile))("picks below the kernel's ephemeral range, which outgoing connections and port-0 servers use", async () => {
    const [low] = readFileSync(rangeFile, "utf8").trim().split(/\s+/).map(Number);
    for (let i = 0; i < 50; i++) {
      const port = await freePort();
      expect(port).toBeGreaterThanOrEqual(11_000);
      expect(port).toBeLessThan(low!);
    }
  });
});

describe("freePort, many times", () => {
  it("never hands out the same port twice in one process", async () => {
    const ports = new Set<number>();
    for (let i = 0; i < 1000; i++) ports.add(await freePort());
    expect(ports.size).toBe(1000);
  });
});
