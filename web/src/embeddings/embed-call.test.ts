import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../api/clients.js";
import { createTransport, transportKinds } from "../api/transport.js";
import { runEmbed } from "./embed-call.js";

/**
 * A gateway that accepts connections and never answers (a hung process, a proxy that lost its
 * upstream): what it was sent is kept, so the tests can see the deadline travel with the call.
 */
let hung: Server;
let url: string;
const received: string[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  hung = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (chunk) => received.push(chunk.toString("latin1")));
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((ok) => hung.listen(0, "127.0.0.1", ok));
  url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((ok) => hung.close(() => ok()));
});

describe("runEmbed", () => {
  for (const kind of transportKinds) {
    it(`ends with DEADLINE_EXCEEDED when the gateway never answers (${kind})`, async () => {
      received.length = 0;
      const api = createApi(createTransport(kind, url));
      const outcome = await runEmbed(api.embedding, ["a cat"], { signal: new AbortController().signal, timeoutMs: 300 });
      expect(outcome.kind).toBe("failed");
      expect(outcome.kind === "failed" && outcome.error.code).toBe("DEADLINE_EXCEEDED");
      // The deadline was sent with the call, for the gateway and the worker to honour too.
      expect(received.join("")).toMatch(kind === "grpc-web" ? /grpc-timeout: 300m/i : /connect-timeout-ms: 300/i);
    });
  }

  it("ends as cancelled when its signal is aborted while the gateway hangs", async () => {
    const api = createApi(createTransport("connect-json", url));
    const ctl = new AbortController();
    const pending = runEmbed(api.embedding, ["a cat"], { signal: ctl.signal, timeoutMs: 60_000 });
    setTimeout(() => ctl.abort(), 100);
    expect(await pending).toEqual({ kind: "cancelled" });
  });
});
