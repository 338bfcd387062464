/**
 * One port, both HTTP versions: HTTP/1.1 and HTTP/2 with prior knowledge on cleartext (the preface is
 * sniffed), and with TLS both through ALPN (h2, http/1.1).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../test/harness.js";
import { listen } from "./listener.js";
import type { Listener } from "./listener.js";

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close(100);
  listener = undefined;
});

const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`HTTP/${req.httpVersion} ${req.url}`);
};

function h2get(url: string, opts: http2.SecureClientSessionOptions = {}): Promise<string> {
  return new Promise((ok, fail) => {
    const session = http2.connect(url, opts);
    session.on("error", fail);
    const req = session.request({ ":path": "/x" });
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      session.close();
      ok(body);
    });
    req.on("error", fail);
    req.end();
  });
}

function h1get(url: string, agentOpts: https.RequestOptions = {}): Promise<string> {
  return new Promise((ok, fail) => {
    const mod = url.startsWith("https") ? https : http;
    mod.get(url, { ...agentOpts, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => ok(body));
    }).on("error", fail);
  });
}

describe("listen", () => {
  it("serves HTTP/1.1 and HTTP/2 prior knowledge on the same cleartext port", async () => {
    listener = await listen({ host: "127.0.0.1", port: 0, handler });
    const url = `http://127.0.0.1:${listener.port}`;
    expect(await h1get(`${url}/x`)).toBe("HTTP/1.1 /x");
    expect(await h2get(url)).toBe("HTTP/2.0 /x");
    const curl = await run("curl", ["-sS", "--http2-prior-knowledge", `${url}/y`]);
    expect(curl.stdout).toBe("HTTP/2.0 /y");
  });

  it("offers HTTP/2 streams to onStream first", async () => {
    listener = await listen({
      host: "127.0.0.1",
      port: 0,
      handler,
      onStream: (stream, headers) => {
        if (headers[":path"] !== "/x") return false;
        stream.respond({ ":status": 200 });
        stream.end("raw");
        return true;
      },
    });
    expect(await h2get(`http://127.0.0.1:${listener.port}`)).toBe("raw");
    expect(await h1get(`http://127.0.0.1:${listener.port}/x`)).toBe("HTTP/1.1 /x");
  });

  it("serves both over TLS, chosen by ALPN", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-tls-"));
    const r = await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]);
    expect(r.code, r.stderr).toBe(0);
    const cert = readFileSync(join(dir, "cert.pem"));
    listener = await listen({ host: "127.0.0.1", port: 0, handler, tls: { cert, key: readFileSync(join(dir, "key.pem")) } });
    const url = `https://127.0.0.1:${listener.port}`;
    expect(await h2get(url, { ca: cert })).toBe("HTTP/2.0 /x");
    expect(await h1get(`${url}/x`, { ca: cert })).toBe("HTTP/1.1 /x");
  });
});
