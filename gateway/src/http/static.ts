/**
 * Serves the web client's built files (web/dist) at "/": GET and HEAD only, no directory listings, no
 * path escapes (neither `..` in any encoding nor a symbolic link that leads out of the folder).
 * Does nothing when the folder does not exist, so the gateway starts before the web client is built.
 *
 * - **Client-side routes**: a GET or HEAD of a path with no file extension that matches no file gets
 *   index.html, but only from a browser navigating (its `Accept` lists `text/html`) and never for a path
 *   shaped like an RPC (`/package.Service/Method`) or under one of the gateway's own endpoints
 *   (`/healthz/...`, `/readyz/...`, `/metrics/...`): those are 404, so a client that got a path wrong
 *   sees it instead of an HTML page.
 * - **Caching**: every file has a weak `ETag` (size and modification time) and `Last-Modified`;
 *   `If-None-Match` / `If-Modified-Since` get 304. Vite's content-hashed files under `/assets/` are
 *   `public, max-age=31536000, immutable`; index.html is `no-cache` (always revalidated); other files
 *   `public, max-age=3600`. Every answer has `x-content-type-options: nosniff`.
 * - **Aborted downloads**: the file is piped with `pipeline`, so a client that goes away (or closes as
 *   soon as it has its bytes) closes the file too.
 */
import { createReadStream } from "node:fs";
import type { Stats } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { basename, extname, join, normalize, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import type { HttpHandler, NodeRequest, NodeResponse } from "./types.js";

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

/** `cache-control` of Vite's content-hashed build outputs: a changed file gets a new name. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/** The gateway's own endpoints: nothing under them falls back to index.html. */
const OPS_PATHS = ["/healthz", "/readyz", "/metrics"];

/** `/package.Service/Method` (a trailing slash included): an RPC path, never a client-side route. */
const RPC_SHAPED = /^\/[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+\/[A-Za-z_][A-Za-z0-9_]*\/?$/;

/** A file name Vite gave a content hash (`index-BRbK7NMQ.js`, `index-BRbK7NMQ.js.map`). */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9.]+$/;

/** True when `path` is `root` or inside it (both absolute and normalised). */
function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The regular file at `path` (a directory's index.html), followed through symbolic links and found
 * inside `realRoot`, or undefined: a link that leads out of the folder counts as no file.
 */
async function fileAt(realRoot: string, path: string, depth = 0): Promise<{ path: string; stat: Stats } | undefined> {
  try {
    const real = await realpath(path);
    if (!inside(realRoot, real)) return undefined;
    const s = await stat(real);
    if (s.isFile()) return { path: real, stat: s };
    if (s.isDirectory() && depth === 0) return fileAt(realRoot, join(real, "index.html"), 1);
  } catch {
    // not there
  }
  return undefined;
}

/** True when the request's `Accept` lists `text/html` (with a q above 0): a browser navigating. */
export function acceptsHtml(accept: string | string[] | undefined): boolean {
  if (accept === undefined) return false;
  for (const part of (Array.isArray(accept) ? accept.join(",") : accept).split(",")) {
    const [type, ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    if (type !== "text/html") continue;
    const q = params.find((p) => p.startsWith("q="));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/** True when `pathname` (decoded) may be a client-side route of the web client. */
export function isClientRoute(pathname: string): boolean {
  if (extname(pathname) !== "" || RPC_SHAPED.test(pathname)) return false;
  return !OPS_PATHS.some((p) => pathname === p || pathname.startsWith(p + "/"));
}

/** The weak validator of a file: its size and modification time. */
export function etagOf(s: Stats): string {
  return `W/"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;
}

/**
 * True when the client's copy is current: `If-None-Match` lists the ETag (weak comparison) or `*`;
 * without `If-None-Match`, `If-Modified-Since` is no earlier than the file's time (whole seconds).
 */
function notModified(req: NodeRequest, etag: string, mtimeMs: number): boolean {
  const inm = req.headers["if-none-match"];
  if (typeof inm === "string") {
    const opaque = (t: string) => t.trim().replace(/^W\//, "");
    return inm.split(",").some((t) => t.trim() === "*" || opaque(t) === opaque(etag));
  }
  const ims = req.headers["if-modified-since"];
  if (typeof ims !== "string") return false;
  const since = Date.parse(ims);
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

function cacheControl(urlPath: string, file: string): string {
  if (basename(file) === "index.html") return "no-cache";
  if (urlPath.startsWith("/assets/") && HASHED.test(basename(file))) return IMMUTABLE;
  return "public, max-age=3600";
}

async function sendFile(res: NodeResponse, path: string, size: number): Promise<void> {
  if (size === 0) {
    res.end();
    return;
  }
  // `end` caps the body at the size announced, should the file grow meanwhile.
  const s = createReadStream(path, { start: 0, end: size - 1 });
  try {
    // pipeline destroys the file stream when the response closes early: no descriptor is left open.
    await pipeline(s, res as NodeJS.WritableStream);
  } catch {
    s.destroy();
    res.destroy();
  }
}

/**
 * Creates the static file handler for `dir` (absolute); an empty `dir` serves nothing. Resolves false
 * (the next handler, finally 404) for anything it does not serve.
 */
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
    if (pathname.includes("\0")) return false;
    const target = normalize(join(root, pathname));
    if (!inside(root, target)) return false;
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      return false; // not built yet
    }
    let file = await fileAt(realRoot, target);
    const clientRoute = !file && isClientRoute(pathname);
    const fallback = clientRoute && acceptsHtml(req.headers.accept);
    if (fallback) file = await fileAt(realRoot, join(realRoot, "index.html"));
    if (!file) {
      // The 404 that follows depends on Accept too (with text/html this path gets index.html).
      if (clientRoute && !res.headersSent) {
        const prior = res.getHeader("vary");
        res.setHeader("vary", prior === undefined || prior === "" ? "accept" : `${String(prior)}, accept`);
      }
      return false;
    }
    const etag = etagOf(file.stat);
    const headers: Record<string, string> = {
      etag,
      "last-modified": new Date(file.stat.mtimeMs).toUTCString(),
      "cache-control": cacheControl(pathname, file.path),
      "x-content-type-options": "nosniff",
    };
    // Whether a path gets index.html depends on Accept: a cache must not hand it to another client.
    if (fallback) {
      const prior = res.getHeader("vary");
      headers.vary = prior === undefined || prior === "" ? "accept" : `${String(prior)}, accept`;
    }
    if (notModified(req, etag, file.stat.mtimeMs)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, {
      ...headers,
      "content-type": TYPES[extname(file.path)] ?? "application/octet-stream",
      "content-length": String(file.stat.size),
    });
    if (req.method === "HEAD") res.end();
    else await sendFile(res, file.path, file.stat.size);
    return true;
  };
}
