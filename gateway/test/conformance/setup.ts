/**
 * Prepares the conformance run: finds the connectrpc.com/conformance module the runner was installed
 * from (its version is the one in scripts/go-tools.txt) in the Go module cache, and generates from its
 * .proto files, into build/conformance/ (ignored), the Python stubs of the grpcio backend and the
 * descriptor set the gateway routes ConformanceService with.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { PY, ROOT, TOOLS_BIN, run } from "../harness.js";

export interface ConformanceSetup {
  runner: string;
  stubsDir: string;
  descriptorSet: string;
}

/** The runner's module version from scripts/go-tools.txt. */
export function conformanceVersion(): string {
  const line = readFileSync(join(ROOT, "scripts/go-tools.txt"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("connectrpc.com/conformance/cmd/connectconformance@"));
  if (!line) throw new Error("scripts/go-tools.txt does not list connectconformance");
  return line.split("@")[1]!.trim();
}

/** Generates stubs and descriptors (once per version) and returns where they are. */
export async function prepareConformance(): Promise<ConformanceSetup> {
  const version = conformanceVersion();
  const runner = join(TOOLS_BIN, "connectconformance");
  if (!existsSync(runner)) throw new Error(`${runner} is missing: run scripts/bootstrap.sh`);
  const gomod = (await run("go", ["env", "GOMODCACHE"])).stdout.trim();
  const moduleDir = join(gomod, `connectrpc.com/conformance@${version}`);
  const protoRoot = join(moduleDir, "proto");
  if (!existsSync(protoRoot)) throw new Error(`${protoRoot} is missing: the Go module cache has no connectrpc.com/conformance@${version}`);
  const out = resolve(ROOT, "build/conformance", version);
  const stubsDir = join(out, "gen");
  const descriptorSet = join(out, "conformance.binpb");
  if (!existsSync(join(stubsDir, "connectrpc/conformance/v1/service_pb2_grpc.py")) || !existsSync(descriptorSet)) {
    mkdirSync(stubsDir, { recursive: true });
    const dir = join(protoRoot, "connectrpc/conformance/v1");
    const files = readdirSync(dir).filter((f) => f.endsWith(".proto")).map((f) => `connectrpc/conformance/v1/${f}`);
    const r = await run(PY, ["-m", "grpc_tools.protoc", "-I", protoRoot, `--python_out=${stubsDir}`, `--grpc_python_out=${stubsDir}`, "--include_imports", `--descriptor_set_out=${descriptorSet}`, ...files]);
    if (r.code !== 0) throw new Error(`protoc failed: ${r.stderr}`);
  }
  return { runner, stubsDir, descriptorSet };
}
