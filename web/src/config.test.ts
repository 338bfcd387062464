import { describe, expect, it } from "vitest";
import { readConfig } from "./config.js";

const at = (search: string) => ({ search, origin: "http://127.0.0.1:8080" });

describe("readConfig", () => {
  it("talks to its own origin with Connect JSON by default", () => {
    expect(readConfig(at(""))).toEqual({ baseUrl: "http://127.0.0.1:8080", transport: "connect-json" });
  });

  it("takes another gateway and a transport from the query string, and names that gateway's origin", () => {
    expect(readConfig(at("?api=http://127.0.0.1:9000/&transport=grpc-web"))).toEqual({
      baseUrl: "http://127.0.0.1:9000",
      transport: "grpc-web",
      foreignOrigin: "http://127.0.0.1:9000",
    });
    expect(readConfig(at(`?api=${encodeURIComponent("https://gateway.example/api/")}`))).toMatchObject({
      baseUrl: "https://gateway.example/api",
      foreignOrigin: "https://gateway.example",
    });
  });

  it("names no other origin when ?api= is the page's own", () => {
    const config = readConfig(at("?api=http://127.0.0.1:8080/"));
    expect(config.baseUrl).toBe("http://127.0.0.1:8080");
    expect(config.foreignOrigin).toBeUndefined();
  });

  it("ignores an ?api= that is not an http(s) URL, and says so", () => {
    for (const api of ["javascript:alert(1)", "127.0.0.1:9000", "/elsewhere", "file:///etc"]) {
      expect(readConfig(at(`?api=${encodeURIComponent(api)}`))).toEqual({
        baseUrl: "http://127.0.0.1:8080",
        transport: "connect-json",
        ignoredApi: api,
      });
    }
  });

  it("falls back to the stored transport, and ignores unknown names", () => {
    const storage = { getItem: () => "connect-binary" };
    expect(readConfig(at(""), storage).transport).toBe("connect-binary");
    expect(readConfig(at("?transport=carrier-pigeon"), { getItem: () => "nope" }).transport).toBe("connect-json");
  });
});
