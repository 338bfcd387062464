/**
 * HTTP/1.1 answers sent before the request body was read: a small body is read and dropped and the
 * connection stays usable (a client still writing its body must not hit a closed socket); a large or
 * unsized one closes the connection, but only after the client has stopped sending (a lingering close).
 */
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "./config/config.js";
import { build } from "./server.js";
import type { Gateway } from "./server.js";
import { MODEL_SERVICE, testPool } from "../test/mesh.js";

let gateway: Gateway;
beforeAll(async () => {
  // connect-node refuses an unknown content-encoding before the call reaches a worker: none is needed.
  gateway = await build({ config: { ...defaultConfig(), host: "127.0.0.1", port: 0, pools: [testPool(MODEL_SERVICE, ["127.0.0.1:1"])] } });
});
afterAll(async () => {
  await gateway?.close(100);
});

/** A raw HTTP/1.1 connection that reads whole responses (content-length framed) one at a time. */
class Connection {
  private buffered = "";
  private waiting: (() => void) | undefined;
  closed = false;
  readonly errors: Error[] = [];

  constructor(readonly socket: net.Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buffered += d;
      this.waiting?.();
    });
    socket.on("error", (e) => this.errors.push(e));
    socket.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static open(port: number): Promise<Connection> {
    return new Promise((ok, fail) => {
      // Half-open allowed: like most HTTP clients, it goes on writing after the server has ended its side.
      const s = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true }, () => ok(new Connection(s)));
      s.once("error", fail);
    });
  }

  write(text: string): Promise<void> {
    return new Promise((ok, fail) => this.socket.write(text, (e) => (e ? fail(e) : ok())));
  }

  /** The next whole response: status, lower-cased headers, body. */
  async response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    for (;;) {
      const end = this.buffered.indexOf("\r\n\r\n");
      if (end >= 0) {
        const [statusLine, ...lines] = this.buffered.slice(0, end).split("\r\n");
        const headers: Record<string, string> = {};
        for (const l of lines) headers[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
        const length = Number(headers["content-length"] ?? 0);
        if (this.buffered.length >= end + 4 + length) {
          const body = this.buffered.slice(end + 4, end + 4 + length);
          this.buffered = this.buffered.slice(end + 4 + length);
          return { status: Number(statusLine!.split(" ")[1]), headers, body };
        }
      }
      if (this.closed) throw new Error(`connection closed; unparsed: ${JSON.stringify(this.buffered.slice(0, 200))}`);
      await new Promise<void>((ok) => (this.waiting = ok));
    }
  }
}

/** Request headers with an encoding the gateway refuses; `length` undefined sends the body chunked. */
function head(port: number, length: number | undefined): string {
  return [
    `POST /${MODEL_SERVICE}/Complete HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    "content-type: application/proto",
    "content-encoding: x-unknown",
    length === undefined ? "transfer-encoding: chunked" : `content-length: ${length}`,
    "",
    "",
  ].join("\r\n");
}

const pause = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe("an answer sent before the request body was read, over HTTP/1.1", () => {
  it("reads and drops a small body and keeps the connection for the next request", async () => {
    const c = await Connection.open(gateway.port);
    const body = "x".repeat(2000);
    await c.write(head(gateway.port, body.length));
    const first = await c.response(); // answered before a byte of the body was sent
    expect(first.status).toBe(501);
    expect(first.body).toContain("x-unknown");
    expect(first.headers["connection"]).not.toBe("close");
    await c.write(body); // the client finishes writing: no broken pipe
    await c.write(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${gateway.port}\r\n\r\n`);
    const second = await c.response();
    expect(second.status).toBe(200);
    expect(c.errors).toEqual([]);
    c.socket.destroy();
  });

  it("closes the connection when the unread body is large", async () => {
    const c = await Connection.open(gateway.port);
    await c.write(head(gateway.port, 10 * 1024 * 1024));
    const first = await c.response();
    expect(first.status).toBe(501);
    expect(first.headers["connection"]).toBe("close");
    c.socket.destroy();
  });

  it("keeps reading a chunked body it refused until the client is done, then closes", async () => {
    const c = await Connection.open(gateway.port);
    await c.write(head(gateway.port, undefined));
    const first = await c.response(); // answered before a byte of the body was sent
    expect(first.status).toBe(501);
    expect(first.headers["connection"]).toBe("close");
    // Without a lingering close these writes meet a closed socket and the reset fails the client.
    for (let i = 0; i < 5; i++) {
      await c.write(`400\r\n${"x".repeat(0x400)}\r\n`);
      await pause(20);
    }
    await c.write("0\r\n\r\n");
    c.socket.end();
    await new Promise((ok) => c.socket.once("close", ok));
    expect(c.errors).toEqual([]);
  });

  it("closes a refused connection whose client never stops sending", async () => {
    const c = await Connection.open(gateway.port);
    await c.write(head(gateway.port, undefined));
    expect((await c.response()).status).toBe(501);
    const closed = new Promise((ok) => c.socket.once("close", ok));
    const writer = setInterval(() => c.socket.writable && c.socket.write(`10\r\n${"y".repeat(16)}\r\n`), 50);
    await closed; // the gateway's linger runs out; the test's own timeout bounds the wait
    clearInterval(writer);
  });
});
