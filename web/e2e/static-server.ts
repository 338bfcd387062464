import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { extname, join, normalize } from "node:path";

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

/**
 * A static file server on its own port: a second origin for the CORS tests, or (with `hangApi`) a
 * gateway that serves the page but accepts its API calls and never answers them.
 */
export interface StaticServer {
  readonly origin: string;
  close(): Promise<void>;
}

/** What else the static server does. */
export interface StaticOptions {
  /** Accept every API call (a path starting with /agentos.) and never answer it, as a hung gateway does. */
  readonly hangApi?: boolean;
}

/** Serves the files under `dir` on 127.0.0.1:`port` (GET only; `/` is index.html). */
export async function serveStatic(dir: string, port: number, options: StaticOptions = {}): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    if (options.hangApi && (req.url ?? "").startsWith("/agentos.")) {
      req.resume(); // read the call, answer nothing
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    const file = join(dir, path === "/" ? "index.html" : path);
    if (req.method !== "GET" || !file.startsWith(dir)) {
      res.writeHead(404).end();
      return;
    }
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error("not a file");
        res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
        createReadStream(file).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(port, "127.0.0.1", ok));
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
