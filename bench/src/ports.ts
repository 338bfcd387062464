import net from "node:net";

/**
 * Finds a free TCP port on 127.0.0.1 by binding port 0 and closing again. Another process could take it
 * before it is used, so callers start their server right away and fail loudly if the bind fails.
 *
 * @example
 *   const port = await freePort();
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
