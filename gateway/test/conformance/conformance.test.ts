/**
 * The Connect conformance suite (connectrpc.com/conformance, `connectconformance --mode server`) against
 * the gateway proxying connectrpc.conformance.v1.ConformanceService to a grpcio implementation of it
 * (backend.py). Covers Connect, gRPC and gRPC-Web × HTTP/1.1 and HTTP/2 × proto and JSON, identity and
 * gzip, every stream type (config.yaml). known-failing.txt lists the cases a grpcio backend cannot
 * support, each with its reason; the runner fails if one of them starts passing.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig, poolConfig } from "../../src/config/config.js";
import type { PoolConfig } from "../../src/config/config.js";
import { loadDescriptorSet } from "../../src/descriptors/registry.js";
import { build } from "../../src/server.js";
import type { Gateway } from "../../src/server.js";
import { PY, ROOT, run, startProcess, waitForOutput } from "../harness.js";
import type { Proc } from "../harness.js";
import { prepareConformance } from "./setup.js";

const HERE = join(ROOT, "gateway/test/conformance");
let backend: Proc;
let backendPort = 0;
const gateways = new Map<string, Promise<Gateway>>();
let control: ReturnType<typeof createServer>;
let controlUrl = "";
let setup: Awaited<ReturnType<typeof prepareConformance>>;

function poolFor(port: number): PoolConfig {
  // The suite sends deliberately failing calls: never eject, never retry.
  return poolConfig("connectrpc.conformance.v1.ConformanceService", [`127.0.0.1:${port}`], {
    healthCheck: { intervalMs: 1000, timeoutMs: 2000, service: "" },
    ejection: { consecutiveFailures: 1000, baseMs: 100, maxMs: 100 },
    retry: { maxAttempts: 1, budgetPercent: 0, minPerSecond: 0 },
    connectTimeoutMs: 5000,
    keepAliveIntervalMs: 0,
  });
}

/** A gateway for the settings of one ServerCompatRequest, built once and shared. */
function gatewayFor(req: { useTls: boolean; messageReceiveLimit: number; cert: string; key: string }): Promise<Gateway> {
  const key = `${req.useTls}/${req.messageReceiveLimit}`;
  let g = gateways.get(key);
  if (!g) {
    const config = { ...defaultConfig(), host: "127.0.0.1", port: 0, streamKeepAliveMs: 0, pools: [poolFor(backendPort)] };
    if (req.messageReceiveLimit > 0) config.maxRequestBytes = req.messageReceiveLimit;
    if (req.useTls) {
      const dir = mkdtempSync(join(tmpdir(), "conformance-tls-"));
      writeFileSync(join(dir, "cert.pem"), req.cert);
      writeFileSync(join(dir, "key.pem"), req.key);
      config.tls = { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") };
    }
    g = build({ config, files: loadDescriptorSet(setup.descriptorSet) }).then(async (gw) => {
      await gw.waitReady(30_000);
      return gw;
    });
    gateways.set(key, g);
  }
  return g;
}

beforeAll(async () => {
  setup = await prepareConformance();
  backend = startProcess(PY, [join(HERE, "backend.py"), "--stubs", setup.stubsDir]);
  backendPort = Number((await waitForOutput(backend, /PORT (\d+)/, 60_000))[1]);
  control = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      gatewayFor(JSON.parse(body) as { useTls: boolean; messageReceiveLimit: number; cert: string; key: string }).then(
        (g) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ port: g.port }));
        },
        (e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        },
      );
    });
  });
  await new Promise<void>((ok) => control.listen(0, "127.0.0.1", ok));
  controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  control?.close();
  for (const g of gateways.values()) await (await g).close(500);
  await backend?.stop("SIGKILL");
});

describe("Connect conformance suite (server mode) through the gateway", () => {
  it("passes every case except the known-failing ones, which must still fail", async () => {
    // CONFORMANCE_RUN narrows the run to test-case patterns (comma-separated) while troubleshooting.
    const only = (process.env.CONFORMANCE_RUN ?? "").split(",").filter((p) => p !== "").flatMap((p) => ["--run", p]);
    // The runner's output goes to a file as it comes (build/conformance/last-run.log), for troubleshooting.
    const r = await run(
      setup.runner,
      [
        "--mode", "server",
        ...only,
        "-v",
        ...(process.env.CONFORMANCE_TRACE ? ["--trace"] : []),
        "--conf", join(HERE, "config.yaml"),
        "--known-failing", `@${join(HERE, "known-failing.txt")}`,
        "--max-servers", "2",
        "--parallel", process.env.CONFORMANCE_PARALLEL ?? "4",
        "--",
        process.execPath, "--import", "tsx", join(HERE, "server-under-test.ts"),
      ],
      { env: { CONFORMANCE_CONTROL_URL: controlUrl }, timeoutMs: 600_000, log: join(ROOT, "build/conformance/last-run.log") },
    );
    const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout + r.stderr);
    const report = `${r.stdout}\n${r.stderr}`.slice(-20_000);
    expect(summary, report).not.toBeNull();
    expect(r.code, report).toBe(0);
    if (only.length === 0) expect(Number(summary![1])).toBeGreaterThan(1000);
  }, 660_000);
});
