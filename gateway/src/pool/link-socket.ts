/**
 * The worker link on the worker's link socket: the same `ExchangeRequest`/`ExchangeResponse` messages as
 * the `Exchange` stream, on a plain TCP connection that the worker's event loop reads and writes itself
 * (grpc core's per-message completion and poller-thread wake-up are out of the path; see
 * workers/runtime/link_socket.py for the worker's side).
 *
 * The worker names its link socket's port in the `agentos-link-socket` header of the `Exchange` it
 * answers. {@link openLinkSocket} connects to it and exchanges the 16-byte preface; the
 * {@link WorkerLink} then carries its calls there, and stays on the `Exchange` stream when the port
 * cannot be reached (a proxy or service that forwards only the gRPC port).
 *
 * Frames: one byte of flags, four of length (big-endian), the message, as gRPC's own envelope. The
 * worker's last frame has flags {@link LINK_END_FLAG} and holds a `LinkResult` with the link's status
 * (what the `Exchange` stream's trailers would say); a connection closed without it failed.
 */
import * as net from "node:net";

/** The `Exchange` response header with the worker's link socket port. */
export const LINK_SOCKET_HEADER = "agentos-link-socket";
/** The first 16 bytes each side sends on a link socket. */
export const LINK_PREFACE = Buffer.from("AGENTOS-LINK/1\r\n", "latin1");
/** Flags of the worker's last frame on a link socket: the link's status. */
export const LINK_END_FLAG = 0x80;

/** The port an `Exchange` response names for the link socket, or undefined when it names none (or no valid one). */
export function linkSocketPort(value: string | string[] | undefined): number | undefined {
  if (typeof value !== "string" || !/^[0-9]{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port > 0 && port < 65536 ? port : undefined;
}

/**
 * Connects to a worker's link socket and exchanges the preface. Resolves with the connected socket
 * (no Nagle: a calls message leaves at once); rejects when the connection fails, the worker does not
 * answer the preface within `timeoutMs`, or answers something else.
 */
export function openLinkSocket(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port, noDelay: true });
    let got: Buffer = Buffer.alloc(0);
    const fail = (why: string) => {
      clearTimeout(timer);
      sock.removeAllListeners("data");
      sock.destroy();
      reject(new Error(`link socket ${host}:${port}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no preface within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
    sock.on("error", (e) => fail(e.message));
    sock.on("close", () => fail("closed before the preface"));
    sock.once("connect", () => sock.write(LINK_PREFACE));
    sock.on("data", (chunk: Buffer) => {
      got = got.byteLength === 0 ? chunk : Buffer.concat([got, chunk]);
      const n = Math.min(got.byteLength, LINK_PREFACE.byteLength);
      if (!got.subarray(0, n).equals(LINK_PREFACE.subarray(0, n))) return fail("the peer does not speak the link");
      if (got.byteLength < LINK_PREFACE.byteLength) return;
      clearTimeout(timer);
      sock.removeAllListeners("data");
      sock.removeAllListeners("error");
      sock.removeAllListeners("close");
      sock.pause();
      const rest = got.subarray(LINK_PREFACE.byteLength);
      if (rest.byteLength > 0) sock.unshift(rest);
      resolve(sock);
    });
  });
}
