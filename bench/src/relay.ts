import net from "node:net";

/** Bytes a relay carried, each way. */
export interface RelayCount {
  /** Client → server bytes (requests). */
  up: number;
  /** Server → client bytes (responses). */
  down: number;
  connections: number;
}

/** A started counting relay. */
export interface Relay {
  port: number;
  /** Returns the bytes counted since the last reset. */
  read(): RelayCount;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A byte-counting TCP relay: 127.0.0.1:port → target. Bytes on the wire are measured by putting one in
 * front of a hop during an untimed pass, so the timed runs never pay for it. It counts TCP payload (HTTP
 * headers, framing and bodies; not TCP/IP headers).
 *
 * @example
 *   const relay = await startRelay("127.0.0.1:8080");
 *   // ... send N calls to 127.0.0.1:relay.port ...
 *   const { up, down } = relay.read();
 */
export async function startRelay(target: string): Promise<Relay> {
  const [host, portText] = target.split(":");
  let count: RelayCount = { up: 0, down: 0, connections: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect({ host, port: Number(portText) });
    upstream.setNoDelay(true);
    count.connections++;
    sockets.add(client).add(upstream);
    client.on("data", (d: Buffer) => {
      count.up += d.length;
      if (!upstream.write(d)) client.pause();
    });
    upstream.on("drain", () => client.resume());
    upstream.on("data", (d: Buffer) => {
      count.down += d.length;
      if (!client.write(d)) upstream.pause();
    });
    client.on("drain", () => upstream.resume());
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    read: () => ({ ...count }),
    reset: () => {
      count = { up: 0, down: 0, connections: 0 };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
