/**
 * The gateway's configuration: where it listens, which services go to which worker pools, and how pools
 * behave. Loaded from a YAML or JSON file (see gateway/config/local.yaml for every field with comments),
 * then overridden by environment variables:
 *
 * - `AGENTOS_POOL_<SERVICE>=host:port,host:port` sets (and enables) the pool of a service. `<SERVICE>` is
 *   the full service name upper-cased with every non-alphanumeric character as `_`
 *   (`AGENTOS_POOL_AGENTOS_MODEL_V1_MODELSERVICE`), or the simple name (`AGENTOS_POOL_MODELSERVICE`).
 * - `AGENTOS_GATEWAY_PORT`, `AGENTOS_GATEWAY_HOST`, `AGENTOS_GATEWAY_TLS_CERT`, `AGENTOS_GATEWAY_TLS_KEY`,
 *   `AGENTOS_GATEWAY_CORS_ORIGINS` (comma-separated), `AGENTOS_GATEWAY_STATIC_DIR`.
 *
 * @example
 *   const config = loadConfig("gateway/config/local.yaml", process.env);
 *   const gateway = await build({ config });
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";

/** Active grpc.health.v1 checks of each replica. */
export interface HealthCheckConfig {
  /** Time between checks of one replica. */
  intervalMs: number;
  /** A check that takes longer fails. */
  timeoutMs: number;
  /** The service name asked about; "" asks about the whole server. */
  service: string;
}

/** Passive ejection and circuit breaking of a replica that fails calls. */
export interface EjectionConfig {
  /** Consecutive transport failures (UNAVAILABLE, resets, refused connections) that open the breaker. */
  consecutiveFailures: number;
  /** First ejection time; doubles on each new ejection of the same replica. */
  baseMs: number;
  /** Longest ejection time. */
  maxMs: number;
}

/** Retries of idempotent unary calls (idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT). */
export interface RetryConfig {
  /** Attempts in total, the first included. 1 disables retries. */
  maxAttempts: number;
  /** Retries allowed as a percentage of calls over the last 10 seconds. */
  budgetPercent: number;
  /** Retries always allowed per second, whatever the percentage. */
  minPerSecond: number;
}

/** A pool of replicas serving one service. */
export interface PoolConfig {
  /** The full protobuf service name, e.g. agentos.model.v1.ModelService. */
  service: string;
  /** host:port of each replica (HTTP/2 cleartext gRPC). */
  addresses: string[];
  /** A disabled pool is not routed and does not count for readiness. */
  enabled: boolean;
  healthCheck: HealthCheckConfig;
  ejection: EjectionConfig;
  retry: RetryConfig;
  /** Time allowed to open a connection to a replica. */
  connectTimeoutMs: number;
  /** Deadline applied to calls that carry none; 0 means none. */
  defaultTimeoutMs: number;
  /** Longest deadline a client may ask for; longer ones are cut to this; 0 means no cap. */
  maxTimeoutMs: number;
  /** Calls in flight to the pool at once; more fail with RESOURCE_EXHAUSTED (circuit breaking). */
  maxConcurrent: number;
  /** HTTP/2 PING interval on upstream connections, to find dead ones; 0 disables. */
  keepAliveIntervalMs: number;
  /** A connection whose PING is not answered within this time is closed and its calls fail (UNAVAILABLE). */
  keepAliveTimeoutMs: number;
  /**
   * Calls (HTTP/2 streams, health checks included, and calls on its worker link) on one connection
   * before the next call opens a fresh one and the old one drains; 0 means HTTP/2's own limit (2^30
   * streams from one client). A finite value spreads load again when an address is a load balancer in
   * front of several workers.
   */
  maxCallsPerConnection: number;
  /**
   * Carry unary and server-streaming calls to the pool's workers on the worker link (one stream per
   * connection, many calls per message; see pool/link.ts) where the worker serves it. Off: one HTTP/2
   * stream per call.
   */
  link: boolean;
  /**
   * Move each worker link to the worker's link socket when the worker names one (the same messages on a
   * plain TCP connection, without grpc core in the worker's path; see pool/link-socket.ts); it stays on
   * its `Exchange` stream when the socket cannot be reached. Off: always on the stream.
   */
  linkSocket: boolean;
}

/** The whole gateway configuration. */
export interface GatewayConfig {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  /** Largest message accepted from a client (after decompression); larger → RESOURCE_EXHAUSTED. */
  maxRequestBytes: number;
  /** Largest message relayed from a worker; larger → RESOURCE_EXHAUSTED. */
  maxResponseBytes: number;
  /** HTTP/2 PING interval towards clients with open streams (keeps idle streams alive through proxies); 0 disables. */
  streamKeepAliveMs: number;
  /**
   * Client connection timeouts: a connection that has not shown its protocol (HTTP/1.1 or the HTTP/2
   * preface), an HTTP/1.1 request whose headers have not all arrived (408), an HTTP/2 connection with
   * no stream (GOAWAY). 0 turns one off.
   */
  timeouts: { protocolMs: number; headersMs: number; http2IdleMs: number };
  /** Browser access: allowed origins ("*" for any); empty means CORS is off. */
  cors: { allowedOrigins: string[]; maxAgeSeconds: number };
  /** Folder of static files served at "/" (the web client); empty or missing folder means none. */
  staticDir: string;
  /** Extra FileDescriptorSet files (e.g. built by `buf build -o`) whose services can be routed. */
  descriptorSets: string[];
  pools: PoolConfig[];
}

const DEFAULT_POOL: Omit<PoolConfig, "service" | "addresses"> = {
  enabled: true,
  healthCheck: { intervalMs: 2000, timeoutMs: 1000, service: "" },
  ejection: { consecutiveFailures: 3, baseMs: 1000, maxMs: 30_000 },
  retry: { maxAttempts: 2, budgetPercent: 20, minPerSecond: 5 },
  connectTimeoutMs: 2000,
  defaultTimeoutMs: 0,
  maxTimeoutMs: 0,
  maxConcurrent: 10_000,
  keepAliveIntervalMs: 30_000,
  keepAliveTimeoutMs: 20_000,
  maxCallsPerConnection: 0,
  link: true,
  linkSocket: true,
};

/**
 * A pool for `service` at `addresses` with the default settings, `over` replacing whole fields.
 *
 * @example
 *   poolConfig("agentos.model.v1.ModelService", ["127.0.0.1:50051"], { maxConcurrent: 100 })
 */
export function poolConfig(service: string, addresses: string[], over: Partial<PoolConfig> = {}): PoolConfig {
  return { ...structuredClone(DEFAULT_POOL), service, addresses, ...over };
}

/** The configuration with nothing set: no pools, port 8080, 4 MiB messages, CORS off. */
export function defaultConfig(): GatewayConfig {
  return {
    host: "0.0.0.0",
    port: 8080,
    maxRequestBytes: 4 << 20,
    maxResponseBytes: 16 << 20,
    streamKeepAliveMs: 20_000,
    timeouts: { protocolMs: 10_000, headersMs: 60_000, http2IdleMs: 3_600_000 },
    cors: { allowedOrigins: [], maxAgeSeconds: 600 },
    staticDir: "",
    descriptorSets: [],
    pools: [],
  };
}

/** Raised for a configuration that cannot be used; the message names the field. */
export class ConfigError extends Error {}

type Raw = Record<string, unknown>;

function obj(v: unknown, where: string): Raw {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new ConfigError(`${where}: expected a mapping`);
  return v as Raw;
}
function num(v: unknown, where: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ConfigError(`${where}: expected a number >= 0`);
  return v;
}
function str(v: unknown, where: string, dflt: string): string {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "string") throw new ConfigError(`${where}: expected a string`);
  return v;
}
function bool(v: unknown, where: string, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "boolean") throw new ConfigError(`${where}: expected true or false`);
  return v;
}
function strList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new ConfigError(`${where}: expected a list of strings`);
  return v as string[];
}
function address(a: string, where: string): string {
  if (!/^[A-Za-z0-9.\-_]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(a)) {
    throw new ConfigError(`${where}: "${a}" is not host:port`);
  }
  return a;
}

function poolFrom(service: string, raw: Raw, defaults: Omit<PoolConfig, "service" | "addresses">): PoolConfig {
  const w = `pools.${service}`;
  const hc = obj(raw.healthCheck, `${w}.healthCheck`);
  const ej = obj(raw.ejection, `${w}.ejection`);
  const rt = obj(raw.retry, `${w}.retry`);
  const pool: PoolConfig = {
    service,
    addresses: strList(raw.addresses, `${w}.addresses`).map((a, i) => address(a, `${w}.addresses[${i}]`)),
    enabled: bool(raw.enabled, `${w}.enabled`, defaults.enabled),
    healthCheck: {
      intervalMs: num(hc.intervalMs, `${w}.healthCheck.intervalMs`, defaults.healthCheck.intervalMs),
      timeoutMs: num(hc.timeoutMs, `${w}.healthCheck.timeoutMs`, defaults.healthCheck.timeoutMs),
      service: str(hc.service, `${w}.healthCheck.service`, defaults.healthCheck.service),
    },
    ejection: {
      consecutiveFailures: num(ej.consecutiveFailures, `${w}.ejection.consecutiveFailures`, defaults.ejection.consecutiveFailures),
      baseMs: num(ej.baseMs, `${w}.ejection.baseMs`, defaults.ejection.baseMs),
      maxMs: num(ej.maxMs, `${w}.ejection.maxMs`, defaults.ejection.maxMs),
    },
    retry: {
      maxAttempts: Math.max(1, num(rt.maxAttempts, `${w}.retry.maxAttempts`, defaults.retry.maxAttempts)),
      budgetPercent: num(rt.budgetPercent, `${w}.retry.budgetPercent`, defaults.retry.budgetPercent),
      minPerSecond: num(rt.minPerSecond, `${w}.retry.minPerSecond`, defaults.retry.minPerSecond),
    },
    connectTimeoutMs: num(raw.connectTimeoutMs, `${w}.connectTimeoutMs`, defaults.connectTimeoutMs),
    defaultTimeoutMs: num(raw.defaultTimeoutMs, `${w}.defaultTimeoutMs`, defaults.defaultTimeoutMs),
    maxTimeoutMs: num(raw.maxTimeoutMs, `${w}.maxTimeoutMs`, defaults.maxTimeoutMs),
    maxConcurrent: num(raw.maxConcurrent, `${w}.maxConcurrent`, defaults.maxConcurrent),
    keepAliveIntervalMs: num(raw.keepAliveIntervalMs, `${w}.keepAliveIntervalMs`, defaults.keepAliveIntervalMs),
    keepAliveTimeoutMs: num(raw.keepAliveTimeoutMs, `${w}.keepAliveTimeoutMs`, defaults.keepAliveTimeoutMs),
    maxCallsPerConnection: num(raw.maxCallsPerConnection, `${w}.maxCallsPerConnection`, defaults.maxCallsPerConnection),
    link: bool(raw.link, `${w}.link`, defaults.link),
    linkSocket: bool(raw.linkSocket, `${w}.linkSocket`, defaults.linkSocket),
  };
  if (pool.keepAliveIntervalMs > 0 && pool.keepAliveTimeoutMs < 1) throw new ConfigError(`${w}.keepAliveTimeoutMs: expected a number >= 1`);
  if (!Number.isInteger(pool.maxCallsPerConnection)) throw new ConfigError(`${w}.maxCallsPerConnection: expected a whole number`);
  if (pool.enabled && pool.addresses.length === 0) throw new ConfigError(`${w}: an enabled pool needs addresses`);
  return pool;
}

/** The environment variable suffixes that name a service: full name and simple name. */
export function poolEnvNames(service: string): string[] {
  const norm = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, "_");
  const simple = service.substring(service.lastIndexOf(".") + 1);
  return [`AGENTOS_POOL_${norm(service)}`, `AGENTOS_POOL_${norm(simple)}`];
}

/**
 * Builds a configuration from a parsed document (YAML or JSON) and the environment. Relative paths in
 * the document are resolved against `baseDir`.
 */
export function configFrom(doc: unknown, env: Record<string, string | undefined> = {}, baseDir = process.cwd()): GatewayConfig {
  const raw = obj(doc, "config");
  const c = defaultConfig();
  const listen = obj(raw.listen, "listen");
  c.host = str(listen.host, "listen.host", c.host);
  c.port = num(listen.port, "listen.port", c.port);
  const tls = obj(raw.tls, "tls");
  if (tls.certFile !== undefined || tls.keyFile !== undefined) {
    c.tls = { certFile: str(tls.certFile, "tls.certFile", ""), keyFile: str(tls.keyFile, "tls.keyFile", "") };
  }
  const limits = obj(raw.limits, "limits");
  c.maxRequestBytes = num(limits.maxRequestBytes, "limits.maxRequestBytes", c.maxRequestBytes);
  c.maxResponseBytes = num(limits.maxResponseBytes, "limits.maxResponseBytes", c.maxResponseBytes);
  c.streamKeepAliveMs = num(raw.streamKeepAliveMs, "streamKeepAliveMs", c.streamKeepAliveMs);
  const timeouts = obj(raw.timeouts, "timeouts");
  c.timeouts = {
    protocolMs: num(timeouts.protocolMs, "timeouts.protocolMs", c.timeouts.protocolMs),
    headersMs: num(timeouts.headersMs, "timeouts.headersMs", c.timeouts.headersMs),
    http2IdleMs: num(timeouts.http2IdleMs, "timeouts.http2IdleMs", c.timeouts.http2IdleMs),
  };
  const cors = obj(raw.cors, "cors");
  c.cors = {
    allowedOrigins: strList(cors.allowedOrigins, "cors.allowedOrigins"),
    maxAgeSeconds: num(cors.maxAgeSeconds, "cors.maxAgeSeconds", c.cors.maxAgeSeconds),
  };
  c.staticDir = str(raw.staticDir, "staticDir", c.staticDir);
  c.descriptorSets = strList(raw.descriptorSets, "descriptorSets");

  const dflt = poolFrom("defaults", { ...obj(raw.poolDefaults, "poolDefaults"), addresses: [], enabled: false }, DEFAULT_POOL);
  const { service: _s, addresses: _a, ...poolDefaults } = dflt;
  poolDefaults.enabled = true;
  const pools = obj(raw.pools, "pools");
  for (const [service, p] of Object.entries(pools)) {
    if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$/.test(service)) throw new ConfigError(`pools: "${service}" is not a full service name`);
    c.pools.push(poolFrom(service, obj(p, `pools.${service}`), poolDefaults));
  }

  // Environment overrides.
  for (const pool of c.pools) {
    for (const name of poolEnvNames(pool.service)) {
      const v = env[name];
      if (v !== undefined && v.trim() !== "") {
        pool.addresses = strList(v, name).map((a) => address(a, name));
        pool.enabled = true;
        break;
      }
    }
  }
  if (env.AGENTOS_GATEWAY_PORT) c.port = Number(env.AGENTOS_GATEWAY_PORT);
  if (env.AGENTOS_GATEWAY_HOST) c.host = env.AGENTOS_GATEWAY_HOST;
  if (env.AGENTOS_GATEWAY_TLS_CERT && env.AGENTOS_GATEWAY_TLS_KEY) {
    c.tls = { certFile: env.AGENTOS_GATEWAY_TLS_CERT, keyFile: env.AGENTOS_GATEWAY_TLS_KEY };
  }
  if (env.AGENTOS_GATEWAY_CORS_ORIGINS !== undefined) c.cors.allowedOrigins = strList(env.AGENTOS_GATEWAY_CORS_ORIGINS, "AGENTOS_GATEWAY_CORS_ORIGINS");
  if (env.AGENTOS_GATEWAY_STATIC_DIR !== undefined) c.staticDir = env.AGENTOS_GATEWAY_STATIC_DIR;
  if (!Number.isInteger(c.port) || c.port < 0 || c.port > 65535) throw new ConfigError(`port: ${c.port} is not a port`);

  const abs = (p: string) => (p === "" || isAbsolute(p) ? p : resolve(baseDir, p));
  c.staticDir = abs(c.staticDir);
  c.descriptorSets = c.descriptorSets.map(abs);
  if (c.tls) c.tls = { certFile: abs(c.tls.certFile), keyFile: abs(c.tls.keyFile) };
  return c;
}

/** Reads a YAML or JSON configuration file and applies the environment overrides. */
export function loadConfig(file: string, env: Record<string, string | undefined> = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(`config file ${file} is not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${(e as Error).message}`);
  }
  // Relative paths (static folder, descriptor sets) are relative to the repository root when the file
  // lives in gateway/config/, otherwise to the file's folder.
  const dir = dirname(resolve(file));
  const base = dir.endsWith("/gateway/config") ? resolve(dir, "../..") : dir;
  return configFrom(doc, env, base);
}
