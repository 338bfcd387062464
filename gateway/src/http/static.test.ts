/**
 * The static file handler on a real HTTP/1.1 (and HTTP/2) server: files, client-side routes and what
 * must not fall back to index.html, path escapes (encoded `..`, symbolic links out of the folder),
 * validators and cache headers, and no file descriptor left open by downloads a client aborts.
 */
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, get } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaticHandler, IMMUTABLE } from "./static.js";
import type { HttpHandler, NodeRequest, NodeResponse } from "./types.js";

const BIG = 8 * 1024 * 1024;
let dir: string;
let root: string;
let server: ReturnType<typeof createServer>;
let port: number;
let url: string;

function answer(handler: HttpHandler) {
  return (req: NodeRequest, res: NodeResponse) => {
    void handler(req, res).then((done) => {
      if (!done) {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found\n");
      }
    });
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gw-static-"));
  root = join(dir, "dist");
  mkdirSync(join(root, "assets"), { recursive: true });
  writeFileSync(join(root, "index.html"), "<h1>app</h1>");
  writeFileSync(join(root, "assets/app.js"), "console.log(1)");
  writeFileSync(join(root, "assets/index-BRbK7NMQ.js"), "console.log(2)");
  writeFileSync(join(root, "favicon.ico"), "ico");
  writeFileSync(join(root, "big.bin"), Buffer.alloc(BIG, 7));
  writeFileSync(join(root, "small.txt"), "small file\n");
  // Outside the served folder: must never be reachable.
  writeFileSync(join(dir, "outside.txt"), "SECRET outside the root\n");
  mkdirSync(join(dir, "private"));
  writeFileSync(join(dir, "private/key.txt"), "SECRET key\n");
  symlinkSync(join(dir, "outside.txt"), join(root, "leak.txt"));
  symlinkSync("../private", join(root, "linkdir"));
  symlinkSync("assets/app.js", join(root, "alias.js")); // a link that stays inside is fine
  server = createServer(answer(createStaticHandler(root)));
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** GET with a raw (unnormalised) path, as sent on the wire. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((ok, fail) => {
    get({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).on("error", fail);
  });
}

/** Open descriptors of this process whose target is one of `files`. */
function openFds(files: string[]): number {
  const wanted = new Set(files.map((f) => realpathSync(f)));
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (wanted.has(readlinkSync(`/proc/self/fd/${fd}`))) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function fdsSettleAt(files: string[], baseline: number): Promise<number> {
  const until = Date.now() + 10_000;
  let n = openFds(files);
  while (n !== baseline && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    n = openFds(files);
  }
  return n;
}

/** Sends a GET over a raw socket and destroys it once `after` bytes of the response arrived. */
function abortAfter(path: string, after: number): Promise<void> {
  return new Promise((ok, fail) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`));
    let got = 0;
    socket.on("data", (c: Buffer) => {
      got += c.byteLength;
      if (got >= after) {
        socket.destroy();
        ok();
      }
    });
    socket.on("error", fail);
  });
}

const HTML = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

describe("createStaticHandler", () => {
  it("serves files, and index.html for a browser's client-side routes", async () => {
    expect(await (await fetch(`${url}/`)).text()).toBe("<h1>app</h1>");
    const js = await fetch(`${url}/assets/app.js`);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await js.text()).toBe("console.log(1)");
    expect(await (await fetch(`${url}/alias.js`)).text()).toBe("console.log(1)");
    const route = await fetch(`${url}/chat`, { headers: HTML });
    expect(route.status).toBe(200);
    expect(await route.text()).toBe("<h1>app</h1>");
    expect(route.headers.get("vary")).toContain("accept");
    const head = await fetch(`${url}/chat/42`, { method: "HEAD", headers: HTML });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("12");
    expect((await fetch(`${url}/missing.png`, { headers: HTML })).status).toBe(404);
    expect((await fetch(`${url}/`, { method: "POST" })).status).toBe(404);
  });

  it("answers 404, not index.html, to non-browsers, RPC-shaped paths and the gateway's own endpoints", async () => {
    // fetch's default Accept is */*: an API client, not a page load.
    const api = await fetch(`${url}/chat`);
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).not.toContain("text/html");
    expect(api.headers.get("vary")).toContain("accept"); // a cache must not give this 404 to a browser
    expect((await fetch(`${url}/chat`, { headers: { accept: "application/json" } })).status).toBe(404);
    expect((await fetch(`${url}/chat`, { headers: { accept: "text/html;q=0" } })).status).toBe(404);
    for (const path of ["/agentos.model.v1.ModelService/Generate", "/pkg.Service/Method/", "/grpc.health.v1.Health/Check", "/metrics/", "/healthz/", "/readyz/x"]) {
      for (const method of ["GET", "HEAD"]) {
        const res = await fetch(`${url}${path}`, { method, headers: HTML });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.headers.get("content-type"), `${method} ${path}`).not.toContain("text/html");
      }
    }
    expect((await fetch(`${url}/agentos.model.v1.ModelService/Generate`, { method: "POST", headers: HTML })).status).toBe(404);
  });

  it("never serves a file outside its folder: encoded `..` and symbolic links leading out are 404", async () => {
    const paths = [
      "/../outside.txt",
      "/../../../../etc/passwd",
      "/..%2foutside.txt",
      "/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
      "/%2e%2e/outside.txt",
      "/%2e%2e%2foutside.txt",
      "/assets/%2e%2e/%2e%2e/outside.txt",
      "/assets/..%5c..%5coutside.txt",
      "/%2e%2e/private/key.txt",
      "/leak.txt",
      "/linkdir/key.txt",
      "/linkdir/",
      "/index.html%00.txt",
    ];
    for (const path of paths) {
      const res = await raw(path);
      expect(res.body, path).not.toContain("SECRET");
      expect(res.body, path).not.toContain("root:");
      expect(res.status, path).toBe(404);
    }
  });

  it("sends validators and cache headers, and 304 to a client whose copy is current", async () => {
    utimesSync(join(root, "small.txt"), new Date("2024-05-01T10:00:00.700Z"), new Date("2024-05-01T10:00:00.700Z"));
    const first = await fetch(`${url}/small.txt`);
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect(first.headers.get("last-modified")).toBe("Wed, 01 May 2024 10:00:00 GMT");
    expect(first.headers.get("x-content-type-options")).toBe("nosniff");
    expect(first.headers.get("cache-control")).toBe("public, max-age=3600");

    const same = await fetch(`${url}/small.txt`, { headers: { "if-none-match": etag } });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe("");
    expect(same.headers.get("etag")).toBe(etag);
    expect((await fetch(`${url}/small.txt`, { headers: { "if-none-match": `"other", ${etag.slice(2)}` } })).status).toBe(304);
    expect((await fetch(`${url}/small.txt`, { headers: { "if-none-match": '"other"' } })).status).toBe(200);
    expect((await fetch(`${url}/small.txt`, { headers: { "if-modified-since": "Wed, 01 May 2024 10:00:00 GMT" } })).status).toBe(304);
    expect((await fetch(`${url}/small.txt`, { headers: { "if-modified-since": "Wed, 01 May 2024 09:59:59 GMT" } })).status).toBe(200);
    // If-None-Match wins over If-Modified-Since.
    expect((await fetch(`${url}/small.txt`, { headers: { "if-none-match": '"other"', "if-modified-since": "Wed, 01 May 2024 10:00:00 GMT" } })).status).toBe(200);

    // A changed file has another validator.
    utimesSync(join(root, "small.txt"), new Date("2024-05-02T10:00:00Z"), new Date("2024-05-02T10:00:00Z"));
    expect((await fetch(`${url}/small.txt`, { headers: { "if-none-match": etag } })).status).toBe(200);

    const hashed = await fetch(`${url}/assets/index-BRbK7NMQ.js`);
    expect(hashed.headers.get("cache-control")).toBe(IMMUTABLE);
    expect(hashed.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await fetch(`${url}/assets/app.js`)).headers.get("cache-control")).toBe("public, max-age=3600");
    expect((await fetch(`${url}/`)).headers.get("cache-control")).toBe("no-cache");
    expect((await fetch(`${url}/index.html`)).headers.get("cache-control")).toBe("no-cache");
    const route = await fetch(`${url}/chat`, { headers: HTML });
    expect(route.headers.get("cache-control")).toBe("no-cache");
    expect(route.headers.get("etag")).toMatch(/^W\//);
    const again = await fetch(`${url}/chat`, { headers: { ...HTML, "if-none-match": route.headers.get("etag")! } });
    expect(again.status).toBe(304);
    expect(again.headers.get("vary")).toContain("accept");
  });

  it("closes the file of every download the client aborts (HTTP/1.1)", async () => {
    const files = [join(root, "big.bin"), join(root, "small.txt")];
    const baseline = openFds(files);
    const small = (await fetch(`${url}/small.txt`)).headers.get("content-length");
    for (let i = 0; i < 25; i++) {
      // Gone after the first bytes of a large file, and gone as soon as a small file's bytes are in.
      await Promise.all([abortAfter("/big.bin", 1), abortAfter("/small.txt", Number(small))]);
    }
    expect(await fdsSettleAt(files, baseline)).toBe(baseline);
    // Downloads that complete still work afterwards.
    expect((await (await fetch(`${url}/big.bin`)).arrayBuffer()).byteLength).toBe(BIG);
  }, 60_000);

  it("closes the file of every download the client aborts (HTTP/2)", async () => {
    const h2 = http2.createServer(answer(createStaticHandler(root)));
    await new Promise<void>((ok) => h2.listen(0, "127.0.0.1", ok));
    const session = http2.connect(`http://127.0.0.1:${(h2.address() as AddressInfo).port}`);
    try {
      const files = [join(root, "big.bin")];
      const baseline = openFds(files);
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((ok, fail) => {
          const req = session.request({ ":path": "/big.bin" });
          req.once("data", () => {
            req.close(http2.constants.NGHTTP2_CANCEL);
            ok();
          });
          req.on("error", fail);
          req.end();
        });
      }
      expect(await fdsSettleAt(files, baseline)).toBe(baseline);
    } finally {
      session.destroy();
      h2.close();
    }
  }, 60_000);

  it("serves nothing when no folder is configured, or when it does not exist (yet)", async () => {
    expect(await createStaticHandler("")({ method: "GET", url: "/" } as never, {} as never)).toBe(false);
    expect(await createStaticHandler(join(dir, "not-built"))({ method: "GET", url: "/", headers: HTML } as never, {} as never)).toBe(false);
  });
});
