import { describe, expect, it } from "vitest";
import { readConfig } from "./config.js";

const at = (search: string) => ({ search, origin: "http://127.0.0.1:8080" });

describe("readConfig", () => {
  it("talks to its own origin with Connect JSON by default", () => {
    expect(readConfig(at(""))).toEqual({ baseUrl: "http://127.0.0.1:8080", transport: "connect-json" });
  });

  it("takes another gateway and a transport from the query string", () => {
    expect(readConfig(at("?api=http://127.0.0.1:9000/&transport=grpc-web"))).toEqual({
      baseUrl: "http://127.0.0.1:9000",
      transport: "grpc-web",
    });
  });

  it("falls back to the stored transport, and ignores unknown names", () => {
    const storage = { getItem: () => "connect-binary" };
    expect(readConfig(at(""), storage).transport).toBe("connect-binary");
    expect(readConfig(at("?transport=carrier-pigeon"), { getItem: () => "nope" }).transport).toBe("connect-json");
  });
});
