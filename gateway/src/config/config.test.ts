import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { ROOT } from "../../test/harness.js";
import { ConfigError, configFrom, loadConfig, poolEnvNames } from "./config.js";

describe("loadConfig", () => {
  it("reads the local config: model and embedding pools enabled, document pool disabled", () => {
    const c = loadConfig(resolve(ROOT, "gateway/config/local.yaml"), {});
    expect(c.port).toBe(8080);
    const byName = Object.fromEntries(c.pools.map((p) => [p.service, p]));
    expect(byName["agentos.model.v1.ModelService"]?.addresses).toEqual(["127.0.0.1:50051"]);
    expect(byName["agentos.model.v1.ModelService"]?.enabled).toBe(true);
    expect(byName["agentos.embedding.v1.EmbeddingService"]?.addresses).toEqual(["127.0.0.1:50052"]);
    expect(byName["agentos.document.v1.DocumentService"]?.enabled).toBe(false);
    expect(c.staticDir).toBe(resolve(ROOT, "web/dist"));
  });

  it("lets the environment override pools by full or simple name, enabling a disabled pool", () => {
    const c = loadConfig(resolve(ROOT, "gateway/config/local.yaml"), {
      AGENTOS_POOL_AGENTOS_MODEL_V1_MODELSERVICE: "10.0.0.1:1, 10.0.0.2:2",
      AGENTOS_POOL_DOCUMENTSERVICE: "127.0.0.1:6000",
      AGENTOS_GATEWAY_PORT: "9999",
      AGENTOS_GATEWAY_CORS_ORIGINS: "http://a.test,http://b.test",
    });
    const byName = Object.fromEntries(c.pools.map((p) => [p.service, p]));
    expect(byName["agentos.model.v1.ModelService"]?.addresses).toEqual(["10.0.0.1:1", "10.0.0.2:2"]);
    expect(byName["agentos.document.v1.DocumentService"]).toMatchObject({ enabled: true, addresses: ["127.0.0.1:6000"] });
    expect(c.port).toBe(9999);
    expect(c.cors.allowedOrigins).toEqual(["http://a.test", "http://b.test"]);
  });

  it("fails with a message naming the file when it cannot be read or parsed", () => {
    expect(() => loadConfig("/nonexistent/gw.yaml")).toThrow(/cannot read config file \/nonexistent\/gw.yaml/);
  });
});

describe("configFrom", () => {
  it("applies pool defaults and per-pool overrides", () => {
    const c = configFrom({
      poolDefaults: { healthCheck: { intervalMs: 500 }, retry: { maxAttempts: 3 } },
      pools: { "a.v1.S": { addresses: ["h:1"], healthCheck: { timeoutMs: 50 } } },
    });
    expect(c.pools[0]).toMatchObject({ service: "a.v1.S", healthCheck: { intervalMs: 500, timeoutMs: 50, service: "" }, retry: { maxAttempts: 3 } });
  });

  it("reads the client connection timeouts", () => {
    expect(configFrom({}).timeouts).toEqual({ protocolMs: 10_000, headersMs: 60_000, http2IdleMs: 3_600_000 });
    expect(configFrom({ timeouts: { headersMs: 5000, http2IdleMs: 0 } }).timeouts).toEqual({ protocolMs: 10_000, headersMs: 5000, http2IdleMs: 0 });
    expect(() => configFrom({ timeouts: { protocolMs: -1 } })).toThrow(/timeouts.protocolMs: expected a number >= 0/);
  });

  it("rejects bad values with the field's path", () => {
    expect(() => configFrom({ pools: { "a.v1.S": { addresses: ["no-port"] } } })).toThrow(ConfigError);
    expect(() => configFrom({ pools: { "a.v1.S": { addresses: ["no-port"] } } })).toThrow(/pools.a.v1.S.addresses\[0\]: "no-port" is not host:port/);
    expect(() => configFrom({ pools: { "a.v1.S": {} } })).toThrow(/an enabled pool needs addresses/);
    expect(() => configFrom({ pools: { NotQualified: { addresses: ["h:1"] } } })).toThrow(/not a full service name/);
    expect(() => configFrom({ limits: { maxRequestBytes: "big" } })).toThrow(/limits.maxRequestBytes: expected a number/);
    expect(() => configFrom({ pools: { "a.v1.S": { addresses: ["h:1"], keepAliveTimeoutMs: 0 } } })).toThrow(/pools.a.v1.S.keepAliveTimeoutMs: expected a number >= 1/);
    expect(() => configFrom({ pools: { "a.v1.S": { addresses: ["h:1"], maxCallsPerConnection: 2.5 } } })).toThrow(/maxCallsPerConnection: expected a whole number/);
    expect(configFrom({ pools: { "a.v1.S": { addresses: ["h:1"], keepAliveIntervalMs: 0, keepAliveTimeoutMs: 0 } } }).pools[0]!.keepAliveIntervalMs).toBe(0);
  });

  it("names the environment variables of a service", () => {
    expect(poolEnvNames("agentos.model.v1.ModelService")).toEqual(["AGENTOS_POOL_AGENTOS_MODEL_V1_MODELSERVICE", "AGENTOS_POOL_MODELSERVICE"]);
  });
});
