import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createStaticHandler } from "./static.js";

describe("createStaticHandler", () => {
  it("serves files, index.html for client-side routes, and nothing outside its folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gw-static-"));
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), "<h1>app</h1>");
    writeFileSync(join(dir, "assets/app.js"), "console.log(1)");
    const handler = createStaticHandler(dir);
    const server = createServer((req, res) => {
      void handler(req, res).then((done) => {
        if (!done) {
          res.writeHead(404);
          res.end();
        }
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${url}/`)).text()).toBe("<h1>app</h1>");
      const js = await fetch(`${url}/assets/app.js`);
      expect(js.headers.get("content-type")).toContain("javascript");
      expect(await (await fetch(`${url}/chat`)).text()).toBe("<h1>app</h1>");
      expect((await fetch(`${url}/missing.png`)).status).toBe(404);
      // A path that climbs out of the folder never reaches a file outside it.
      const raw = await new Promise<string>((ok) => {
        get({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, path: "/../../../../etc/passwd" }, (res) => {
          let b = "";
          res.on("data", (c: Buffer) => (b += c.toString()));
          res.on("end", () => ok(`${res.statusCode} ${b}`));
        });
      });
      expect(raw).not.toContain("root:");
      expect((await fetch(`${url}/`, { method: "POST" })).status).toBe(404);
    } finally {
      server.close();
    }
  });

  it("serves nothing when no folder is configured", async () => {
    const handler = createStaticHandler("");
    expect(await handler({ method: "GET", url: "/" } as never, {} as never)).toBe(false);
  });
});
