/**
 * Serves the web client's built files (web/dist) at "/": GET and HEAD only, no directory listings, no
 * path escapes; a path with no file extension that matches no file gets index.html (client-side routes).
 * Does nothing when the folder does not exist, so the gateway starts before the web client is built.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import type { HttpHandler } from "./types.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

async function fileAt(path: string): Promise<{ path: string; size: number } | undefined> {
  try {
    const s = await stat(path);
    if (s.isFile()) return { path, size: s.size };
    if (s.isDirectory()) return fileAt(join(path, "index.html"));
  } catch {
    // not there
  }
  return undefined;
}

/** Creates the static file handler for `dir` (absolute); an empty `dir` serves nothing. */
export function createStaticHandler(dir: string): HttpHandler {
  const root = dir === "" ? "" : resolve(dir);
  return async (req, res) => {
    if (root === "" || (req.method !== "GET" && req.method !== "HEAD")) return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      return false;
    }
    const target = normalize(join(root, pathname));
    if (target !== root && !target.startsWith(root + sep)) return false;
    let file = await fileAt(target);
    if (!file && extname(pathname) === "") file = await fileAt(join(root, "index.html"));
    if (!file) return false;
    res.writeHead(200, {
      "content-type": TYPES[extname(file.path)] ?? "application/octet-stream",
      "content-length": String(file.size),
      "cache-control": file.path.endsWith("index.html") ? "no-cache" : "public, max-age=3600",
    });
    if (req.method === "HEAD") {
      res.end();
      return true;
    }
    await new Promise<void>((ok) => {
      const s = createReadStream(file.path);
      s.on("error", () => {
        res.destroy();
        ok();
      });
      s.on("end", ok);
      s.pipe(res as NodeJS.WritableStream);
    });
    return true;
  };
}
