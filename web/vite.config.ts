import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const webDir = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * Builds the playground into web/dist, which the gateway serves at `/`. Asset URLs are relative, so
 * the page also works when served from another path or another static server.
 *
 * `npm run build:web` builds; `npm run dev:web` serves with hot reload and forwards API calls to the
 * gateway at AGENTOS_GATEWAY_URL (default http://127.0.0.1:8080).
 */
export default defineConfig({
  root: webDir,
  base: "./",
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    reportCompressedSize: false,
  },
  server: {
    host: "127.0.0.1",
    // The generated clients live in gen/ts, outside web/.
    fs: { allow: [repoRoot] },
    proxy: {
      "^/agentos\\.": { target: process.env.AGENTOS_GATEWAY_URL ?? "http://127.0.0.1:8080", changeOrigin: true },
    },
  },
});
