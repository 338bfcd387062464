import { run } from "./process.js";

/** Bytes carried by the established TCP connections to one local port, keyed by connection. */
export type SocketBytes = Map<string, { sent: number; received: number }>;

/**
 * Reads the kernel's per-connection byte counters (`ss -tin`: bytes_sent / bytes_received, TCP payload)
 * of every established connection to 127.0.0.1:`port`, seen from the connecting side. Used for the
 * gateway → worker hop, whose pooled connections stay open across a measurement.
 */
export async function socketBytes(port: number): Promise<SocketBytes> {
  const out = await run("ss", ["-tinH", "state", "established", `( dport = :${port} )`]);
  const result: SocketBytes = new Map();
  let key: string | undefined;
  for (const line of out.split("\n")) {
    const addr = /^\s*\d+\s+\d+\s+(\S+)\s+(\S+)/.exec(line);
    if (addr) {
      key = `${addr[1]}>${addr[2]}`;
      continue;
    }
    if (key && /bytes_/.test(line)) {
      const sent = /bytes_sent:(\d+)/.exec(line);
      const received = /bytes_received:(\d+)/.exec(line);
      result.set(key, { sent: Number(sent?.[1] ?? 0), received: Number(received?.[1] ?? 0) });
      key = undefined;
    }
  }
  return result;
}

/** Bytes sent and received on connections to a port between two readings (new connections count from 0). */
export function bytesBetween(before: SocketBytes, after: SocketBytes): { sent: number; received: number; connections: number } {
  let sent = 0;
  let received = 0;
  for (const [key, a] of after) {
    const b = before.get(key) ?? { sent: 0, received: 0 };
    sent += a.sent - b.sent;
    received += a.received - b.received;
  }
  return { sent, received, connections: after.size };
}
