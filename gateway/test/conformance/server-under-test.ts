/**
 * The conformance suite's "server under test": reads a size-delimited ServerCompatRequest on stdin,
 * starts the grpcio ConformanceService backend and a gateway (from `build()`) that routes
 * connectrpc.conformance.v1.ConformanceService to it, and answers with a ServerCompatResponse on stdout.
 *
 *   connectconformance --mode server --conf config.yaml -- node --import tsx server-under-test.ts STUBS DESCRIPTORS
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary, toBinary, create } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { defaultConfig } from "../../src/config/config.js";
import type { PoolConfig } from "../../src/config/config.js";
import { loadDescriptorSet } from "../../src/descriptors/registry.js";
import { build } from "../../src/server.js";
import { PY, ROOT } from "../harness.js";

const [stubsDir, descriptorSet] = process.argv.slice(2);
if (!stubsDir || !descriptorSet) {
  console.error("usage: server-under-test.ts STUBS_DIR DESCRIPTOR_SET");
  process.exit(2);
}

async function readDelimited(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    const all = Buffer.concat(chunks);
    if (all.byteLength >= 4 && all.byteLength >= 4 + all.readUInt32BE(0)) return all.subarray(4, 4 + all.readUInt32BE(0));
  }
  throw new Error("stdin closed before a ServerCompatRequest arrived");
}

const files = loadDescriptorSet(descriptorSet);
const msg = (name: string): DescMessage => {
  for (const f of files) for (const m of f.messages) if (m.typeName === name) return m;
  throw new Error(`${name} not in ${descriptorSet}`);
};
const RequestDesc = msg("connectrpc.conformance.v1.ServerCompatRequest");
const ResponseDesc = msg("connectrpc.conformance.v1.ServerCompatResponse");

const req = fromBinary(RequestDesc, await readDelimited()) as unknown as {
  useTls: boolean;
  messageReceiveLimit: number;
  serverCreds?: { cert: Uint8Array; key: Uint8Array };
};

const backendArgs = [join(ROOT, "gateway/test/conformance/backend.py"), "--stubs", stubsDir];
if (req.messageReceiveLimit > 0) backendArgs.push("--receive-limit", String(req.messageReceiveLimit));
const backend = spawn(PY, backendArgs, { stdio: ["ignore", "pipe", "inherit"] });
const backendPort = await new Promise<number>((ok, fail) => {
  let out = "";
  backend.stdout.on("data", (c: Buffer) => {
    out += c.toString();
    const m = /PORT (\d+)/.exec(out);
    if (m) ok(Number(m[1]));
  });
  backend.once("exit", (code) => fail(new Error(`backend exited with ${code}`)));
});

const config = defaultConfig();
config.host = "127.0.0.1";
config.port = 0;
config.streamKeepAliveMs = 0;
if (req.messageReceiveLimit > 0) config.maxRequestBytes = req.messageReceiveLimit;
if (req.useTls && req.serverCreds) {
  const dir = mkdtempSync(join(tmpdir(), "conformance-tls-"));
  writeFileSync(join(dir, "cert.pem"), req.serverCreds.cert);
  writeFileSync(join(dir, "key.pem"), req.serverCreds.key);
  config.tls = { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") };
}
const pool: PoolConfig = {
  service: "connectrpc.conformance.v1.ConformanceService",
  addresses: [`127.0.0.1:${backendPort}`],
  enabled: true,
  healthCheck: { intervalMs: 1000, timeoutMs: 1000, service: "" },
  ejection: { consecutiveFailures: 1000, baseMs: 100, maxMs: 100 },
  retry: { maxAttempts: 1, budgetPercent: 0, minPerSecond: 0 },
  connectTimeoutMs: 2000,
  defaultTimeoutMs: 0,
  maxTimeoutMs: 0,
  maxConcurrent: 10_000,
  keepAliveIntervalMs: 0,
};
config.pools = [pool];
const gateway = await build({ config, files });
await gateway.waitReady(20_000);

const res = create(ResponseDesc, { host: "127.0.0.1", port: gateway.port, pemCert: req.useTls && req.serverCreds ? req.serverCreds.cert : new Uint8Array() } as never);
const bytes = toBinary(ResponseDesc, res);
const len = Buffer.alloc(4);
len.writeUInt32BE(bytes.byteLength);
process.stdout.write(Buffer.concat([len, bytes]));

const shutdown = async () => {
  backend.kill("SIGKILL");
  await gateway.close(100);
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown());
process.on("SIGINT", () => void shutdown());
process.stdin.on("end", () => void shutdown());
process.stdin.resume();
