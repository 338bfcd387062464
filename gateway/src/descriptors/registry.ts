/**
 * The descriptors the gateway knows: every file generated into gen/ts (found at start-up, so a new
 * contract needs no gateway code), plus any FileDescriptorSet named in the configuration. The gateway
 * routes a service when it finds its descriptor here and a pool for it in the configuration.
 *
 * @example
 *   const catalog = await loadCatalog({ descriptorSets: ["build/conformance/image.binpb"] });
 *   catalog.service("agentos.model.v1.ModelService");
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { createFileRegistry, createRegistry, fromBinary } from "@bufbuild/protobuf";
import type { DescFile, DescMethod, DescService, Registry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

/** Where the generated TypeScript lives: gen/ts at the repository root, or AGENTOS_GENERATED_DIR. */
export const GENERATED_DIR = process.env.AGENTOS_GENERATED_DIR ?? resolve(fileURLToPath(import.meta.url), "../../../../gen/ts");

/** Every file, service and method the gateway can serve, looked up by name. */
export class Catalog {
  private readonly files = new Map<string, DescFile>();
  private readonly services = new Map<string, DescService>();
  private readonly methods = new Map<string, DescMethod>();
  /** A registry of every type, for JSON (google.protobuf.Any) and reflection. */
  registry: Registry = createRegistry();

  /** Adds files and, recursively, their dependencies. Later files win on a name clash. */
  add(...files: DescFile[]): this {
    const visit = (f: DescFile) => {
      if (this.files.get(f.name) === f) return;
      this.files.set(f.name, f);
      for (const d of f.dependencies) visit(d);
      for (const s of f.services) {
        this.services.set(s.typeName, s);
        for (const m of s.methods) this.methods.set(`/${s.typeName}/${m.name}`, m);
      }
    };
    files.forEach(visit);
    this.registry = createRegistry(...this.files.values());
    return this;
  }

  /** A file by its proto path, e.g. "agentos/model/v1/model.proto". */
  file(name: string): DescFile | undefined {
    return this.files.get(name);
  }

  /** A service by full name. */
  service(typeName: string): DescService | undefined {
    return this.services.get(typeName);
  }

  /** A method by its HTTP path, "/package.Service/Method". */
  method(path: string): DescMethod | undefined {
    return this.methods.get(path);
  }

  /** The file that defines a type, service, method, field or enum value by full name. */
  fileOfSymbol(symbol: string): DescFile | undefined {
    const svc = this.services.get(symbol) ?? this.services.get(symbol.substring(0, symbol.lastIndexOf(".")));
    if (svc) return svc.file;
    for (let name = symbol; name.includes("."); name = name.substring(0, name.lastIndexOf("."))) {
      const t = this.registry.get(name);
      if (t) return t.kind === "extension" ? t.file : t.file;
    }
    return undefined;
  }

  /** All files. */
  allFiles(): DescFile[] {
    return [...this.files.values()];
  }
}

function findGenerated(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findGenerated(p));
    else if (name.endsWith("_pb.ts") || name.endsWith("_pb.js")) out.push(p);
  }
  return out.sort();
}

function isDescFile(v: unknown): v is DescFile {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "file" && "services" in v;
}

/** The generated modules compiled into a bundle (gateway/build.ts), used instead of importing gen/ts. */
let bundledModules: readonly Record<string, unknown>[] | undefined;

/**
 * Registers the generated modules a bundle carries: a bundled gateway cannot import gen/ts's `.ts`
 * files at start-up, so its entry hands them over before the gateway starts.
 */
export function useBundledGeneratedModules(modules: readonly Record<string, unknown>[]): void {
  bundledModules = modules;
}

/** Imports every generated module under `dir` (or takes those of the bundle) and returns the files they describe. */
export async function loadGeneratedFiles(dir = GENERATED_DIR): Promise<DescFile[]> {
  const files: DescFile[] = [];
  const modules = bundledModules !== undefined && dir === GENERATED_DIR ? bundledModules : undefined;
  if (modules) {
    for (const mod of modules) for (const v of Object.values(mod)) if (isDescFile(v)) files.push(v);
    return files;
  }
  for (const path of findGenerated(dir)) {
    const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (isDescFile(v)) files.push(v);
  }
  return files;
}

/** Reads a binary FileDescriptorSet (e.g. `buf build -o set.binpb`, `protoc --include_imports -o`). */
export function loadDescriptorSet(path: string): DescFile[] {
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(path));
  return [...createFileRegistry(set).files];
}

/** Builds the catalog from the generated code and the given descriptor sets. */
export async function loadCatalog(opts: { descriptorSets?: string[]; generatedDir?: string; extra?: DescFile[] } = {}): Promise<Catalog> {
  const catalog = new Catalog();
  catalog.add(...(await loadGeneratedFiles(opts.generatedDir)));
  for (const p of opts.descriptorSets ?? []) catalog.add(...loadDescriptorSet(p));
  if (opts.extra) catalog.add(...opts.extra);
  return catalog;
}
