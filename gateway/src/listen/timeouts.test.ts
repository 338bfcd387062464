/**
 * The listener's timers, shortened to 200 ms: connections that never show their protocol (cleartext and
 * TLS), HTTP/1.1 requests whose headers never finish, and HTTP/2 sessions with no stream are closed;
 * long HTTP/1.1 and HTTP/2 responses and slow uploads, which outlast every timer many times over, are not.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "../../test/harness.js";
import { listen } from "./listener.js";
import type { Listener, ListenOptions } from "./listener.js";

const SHORT = { classifyTimeoutMs: 200, headersTimeoutMs: 200, http2IdleTimeoutMs: 200 };
/** How long the long calls run: many times each timer, plus the checking interval. */
const LONG_MS = 1500;
/** Generous bound for "closed by a 200 ms timer" on a shared, loaded machine. */
const CLOSED_WITHIN_MS = 10_000;

let listener: Listener | undefined;
afterEach(async () => {
  await listener?.close(100);
  listener = undefined;
});

/** Answers /slow with LONG_MS of chunks, /upload with the number of bytes read, anything else at once. */
const handler: ListenOptions["handler"] = (req, res) => {
  if (req.url === "/upload") {
    let n = 0;
    req.on("data", (c: Buffer) => (n += c.byteLength));
    req.on("end", () => res.end(String(n)));
    return;
  }
  if (req.url !== "/slow") {
    res.end("quick");
    return;
  }
  const out = res as http.ServerResponse; // either protocol's response; write() is the same
  out.writeHead(200, { "content-type": "text/plain" });
  let i = 0;
  const t = setInterval(() => {
    out.write(`${i}\n`);
    if (++i === 10) {
      clearInterval(t);
      out.end("done");
    }
  }, LONG_MS / 10);
};

async function start(extra: Partial<ListenOptions> = {}): Promise<number> {
  listener = await listen({ host: "127.0.0.1", port: 0, handler, ...SHORT, ...extra });
  return listener.port;
}

/** Opens a raw connection, sends `bytes`, and resolves with what came back once the server closed it. */
function closedAfterSending(port: number, bytes: string): Promise<{ ms: number; got: string }> {
  return new Promise((ok, fail) => {
    const t0 = Date.now();
    let got = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    socket.on("data", (c: Buffer) => (got += c.toString("latin1")));
    socket.on("error", () => {}); // a reset counts as closed
    socket.on("close", () => {
      clearTimeout(guard);
      ok({ ms: Date.now() - t0, got });
    });
    const guard = setTimeout(() => {
      socket.destroy();
      fail(new Error(`connection that sent ${JSON.stringify(bytes)} still open after ${CLOSED_WITHIN_MS} ms`));
    }, CLOSED_WITHIN_MS);
  });
}

describe("listener timeouts", () => {
  it("destroys a cleartext connection that does not show its protocol in time", async () => {
    const port = await start();
    const [nothing, prefix] = await Promise.all([closedAfterSending(port, ""), closedAfterSending(port, "PRI * HTTP/2")]);
    expect(nothing.got).toBe("");
    expect(prefix.got).toBe("");
  });

  it("answers 408 and closes an HTTP/1.1 connection whose request headers do not finish in time", async () => {
    const port = await start();
    const partial = await closedAfterSending(port, "GET / HTTP/1.1\r\nHost: x\r\n");
    expect(partial.got).toMatch(/^HTTP\/1\.1 408 /);
    // Also on a kept-alive connection, for its second request.
    const second = await closedAfterSending(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n");
    expect(second.got).toMatch(/^HTTP\/1\.1 200 [\s\S]*quick[\s\S]*HTTP\/1\.1 408 /);
  });

  it("closes an HTTP/2 session with no open stream, also after its streams ended", async () => {
    const port = await start();
    for (const streams of [0, 1]) {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", () => {});
      const goaway = new Promise<void>((ok) => session.once("goaway", () => ok()));
      const closed = new Promise<void>((ok) => session.once("close", () => ok()));
      if (streams > 0) {
        const req = session.request({ ":path": "/x" });
        req.resume();
        req.end();
        await new Promise((ok) => req.on("close", ok));
      }
      await Promise.race([Promise.all([goaway, closed]), new Promise((_, fail) => setTimeout(() => fail(new Error("idle HTTP/2 session still open")), CLOSED_WITHIN_MS))]);
    }
  });

  it("destroys a TLS connection whose handshake does not finish in time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-tls-"));
    const r = await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]);
    expect(r.code, r.stderr).toBe(0);
    const port = await start({ tls: { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) } });
    await closedAfterSending(port, "");
  });

  describe("never cut what is making progress", () => {
    it("an HTTP/1.1 response streamed for longer than every timer", async () => {
      const port = await start();
      const body = await new Promise<string>((ok, fail) => {
        http.get({ host: "127.0.0.1", port, path: "/slow", agent: false }, (res) => {
          let b = "";
          res.on("data", (c: Buffer) => (b += c.toString()));
          res.on("end", () => ok(b));
          res.on("error", fail);
        }).on("error", fail);
      });
      expect(body).toBe("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\ndone");
    });

    it("an HTTP/1.1 upload whose body arrives slowly", async () => {
      const port = await start();
      const answer = await new Promise<string>((ok, fail) => {
        const req = http.request({ host: "127.0.0.1", port, path: "/upload", method: "POST", agent: false, headers: { "transfer-encoding": "chunked" } }, (res) => {
          let b = "";
          res.on("data", (c: Buffer) => (b += c.toString()));
          res.on("end", () => ok(b));
        });
        req.on("error", fail);
        let i = 0;
        const t = setInterval(() => {
          req.write("x".repeat(100));
          if (++i === 10) {
            clearInterval(t);
            req.end();
          }
        }, LONG_MS / 10);
      });
      expect(answer).toBe("1000");
    });

    it("an HTTP/2 stream open for longer than every timer, and its session meanwhile", async () => {
      const port = await start();
      const session = http2.connect(`http://127.0.0.1:${port}`);
      let goaway = false;
      session.on("goaway", () => (goaway = true));
      try {
        const body = await new Promise<string>((ok, fail) => {
          const req = session.request({ ":path": "/slow" });
          let b = "";
          req.on("data", (c: Buffer) => (b += c.toString()));
          req.on("end", () => ok(b));
          req.on("error", fail);
          req.end();
        });
        expect(body).toBe("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\ndone");
        expect(goaway).toBe(false);
      } finally {
        session.destroy();
      }
    });
  });
});
