/**
 * Bundles the gateway (gateway/src/main.ts), the benchmark's baseline gateway
 * (bench/baseline/gateway/main.ts) and its bare Node references (bench/reference/) with esbuild into `build/gateway/*.mjs` with source maps, so they run
 * on plain Node (`node --enable-source-maps build/gateway/main.mjs ...`) instead of transpiling
 * TypeScript at start-up and paying tsx's loader and source-map hooks while serving.
 *
 *   node --import tsx gateway/build.ts [--out build/gateway]
 *
 * What the bundle keeps from running the sources:
 * - npm packages stay external (resolved from the repository's node_modules at run time);
 * - `import.meta.url` of every bundled source file is its original location, so paths the sources
 *   resolve relative to themselves (gateway/config/local.yaml, gen/ts, proto/) are the same;
 * - the generated modules of gen/ts, which the gateway imports by walking the folder at start-up, are
 *   compiled in and handed to the descriptor registry before the gateway starts (unless
 *   AGENTOS_GENERATED_DIR points elsewhere, in which case that folder is imported as before).
 *
 * `make up` (scripts/up.sh) runs this when a source changed; the benchmark runs it before starting
 * either gateway.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { readFile } from "node:fs/promises";
import { build } from "esbuild";
import type { BuildOptions, Plugin } from "esbuild";

/** The repository root. */
export const ROOT = resolve(fileURLToPath(import.meta.url), "../..");

/** The bundles: output name → entry (relative to the root). */
export const ENTRIES = {
  main: "gateway/src/main.ts",
  baseline: "bench/baseline/gateway/main.ts",
  relay: "bench/reference/node-h2-relay.ts",
  tokens: "bench/reference/node-h2-tokens.ts",
} as const;

/** Where the bundles go by default. */
export const DEFAULT_OUT = join(ROOT, "build/gateway");

/** The path of a built bundle, e.g. `bundlePath("main")`. */
export function bundlePath(name: keyof typeof ENTRIES, outDir = DEFAULT_OUT): string {
  return join(outDir, `${name}.mjs`);
}

function generatedModules(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...generatedModules(p));
    else if (name.endsWith("_pb.ts")) out.push(p);
  }
  // The same order as the registry's own walk (later files win on a name clash).
  return out.sort();
}

/** Rewrites `import.meta.url` in the repository's own sources to the file's original URL. */
const keepSourceUrls: Plugin = {
  name: "keep-source-urls",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes("/node_modules/")) return undefined;
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return { contents: text, loader: "ts" };
      return { contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
    });
  },
};

/** The gateway's entry: registers the compiled-in generated modules, then runs main.ts. */
function gatewayEntry(): string {
  const mods = generatedModules(join(ROOT, "gen/ts"));
  const rel = (p: string) => JSON.stringify(`./${relative(ROOT, p)}`);
  return [
    `import { useBundledGeneratedModules } from ${rel(join(ROOT, "gateway/src/descriptors/registry.ts"))};`,
    ...mods.map((m, i) => `import * as g${i} from ${rel(m)};`),
    `if (process.env.AGENTOS_GENERATED_DIR === undefined) useBundledGeneratedModules([${mods.map((_, i) => `g${i}`).join(", ")}]);`,
  ].join("\n");
}

/** Builds both bundles into `outDir`; resolves with their paths. */
export async function buildGateways(outDir = DEFAULT_OUT): Promise<Record<keyof typeof ENTRIES, string>> {
  const common: BuildOptions = {
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    logLevel: "warning",
    plugins: [keepSourceUrls],
    absWorkingDir: ROOT,
  };
  await build({
    ...common,
    // Registration first, then the gateway: ES modules run in import order.
    stdin: { contents: `import "agentos-bundle:generated";\nimport ${JSON.stringify(`./${ENTRIES.main}`)};\n`, resolveDir: ROOT, sourcefile: "gateway-entry.ts", loader: "ts" },
    outfile: bundlePath("main", outDir),
    plugins: [
      keepSourceUrls,
      {
        name: "generated-modules",
        setup(b) {
          b.onResolve({ filter: /^agentos-bundle:generated$/ }, () => ({ path: "generated", namespace: "agentos-bundle" }));
          b.onLoad({ filter: /.*/, namespace: "agentos-bundle" }, () => ({ contents: gatewayEntry(), resolveDir: ROOT, loader: "ts" }));
        },
      },
    ],
  });
  for (const name of ["baseline", "relay", "tokens"] as const) await build({ ...common, entryPoints: [join(ROOT, ENTRIES[name])], outfile: bundlePath(name, outDir) });
  return { main: bundlePath("main", outDir), baseline: bundlePath("baseline", outDir), relay: bundlePath("relay", outDir), tokens: bundlePath("tokens", outDir) };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  const out = await buildGateways(values.out === undefined ? DEFAULT_OUT : resolve(values.out));
  console.log(`built ${Object.values(out).map((p) => relative(process.cwd(), p)).join(", ")}`);
}
