/**
 * One worker replica: its reused HTTP/2 connection, its health (active grpc.health.v1 checks and
 * connection events), its breaker (passive ejection) and the number of calls it has in flight (for
 * least-outstanding-requests balancing).
 */
import * as http2 from "node:http2";
import * as net from "node:net";
import type { PoolConfig } from "../config/config.js";
import { Breaker } from "./breaker.js";
import type { BreakerState } from "./breaker.js";
import type { ReplicaStats } from "../metrics/metrics.js";
import { checkHealth, ServingStatus } from "./health-check.js";
import { WorkerLink } from "./link.js";
import type { LinkStream } from "./link.js";

/** "host:port" or "[v6]:port" to its parts. */
function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.substring(0, i).replace(/^\[|\]$/g, ""), port: Number(address.substring(i + 1)) };
}

/**
 * Streams one connection may open: client stream ids are the odd numbers up to 2^31 - 1 (RFC 9113
 * §5.1.1), and Node refuses new streams past them; a margin leaves room for streams opened elsewhere.
 */
const MAX_CLIENT_STREAMS = 2 ** 30 - 1024;

/** One HTTP/2 connection to the replica and the streams it carries. */
interface Connection {
  session: http2.ClientHttp2Session;
  /** Streams opened on it. */
  opened: number;
  /** Streams not yet closed. */
  active: number;
  /** Renewed: takes no new stream, closes after its last one. */
  retired: boolean;
  /** The worker link on this connection (when the pool uses links). */
  link: WorkerLink | undefined;
}

/** What the pool is told when a replica's state changes (for metrics and readiness). */
export interface ReplicaEvents {
  onHealth(replica: Replica, healthy: boolean): void;
  onBreaker(replica: Replica, state: BreakerState): void;
}

export class Replica {
  /** Calls in flight. */
  outstanding = 0;
  /** Result of the last health check (false until the first one succeeds). */
  healthy = false;
  readonly breaker: Breaker;
  /** The connection new streams go to. */
  private current: Connection | undefined;
  /** Every connection not yet closed: the current one and those draining after a renewal. */
  private readonly connections = new Set<Connection>();
  private readonly streamLimit: number;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private closed = false;
  /** Why the replica is not healthy, for /readyz and logs. */
  lastError = "not checked yet";
  /** The replica's metrics figures (calls in flight, outcomes, links), when the pool has metrics. */
  stats: ReplicaStats | undefined;

  constructor(readonly address: string, private readonly cfg: PoolConfig, private readonly events: ReplicaEvents) {
    this.breaker = new Breaker(cfg.ejection, (s) => events.onBreaker(this, s));
    const max = cfg.maxCallsPerConnection;
    this.streamLimit = max > 0 && max < MAX_CLIENT_STREAMS ? max : MAX_CLIENT_STREAMS;
  }

  /** Starts the periodic health checks (the first one at once). */
  start(): void {
    void this.check();
  }

  /** Stops checks and closes the connections (gracefully: streams in flight finish). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const c of this.connections) {
      c.link?.end();
      c.session.close();
    }
    this.connections.clear();
    this.current = undefined;
  }

  /**
   * Opens a stream to the replica (`session.request`), on its connection: opened on first use, reopened
   * after it is lost, and renewed once it has carried `maxCallsPerConnection` streams or comes near
   * HTTP/2's stream-id limit. A renewed connection takes no new stream and closes once its last one
   * ends; until then its streams finish on it and its keep-alive PINGs go on.
   */
  request(headers: http2.OutgoingHttpHeaders, options?: http2.ClientSessionRequestOptions): http2.ClientHttp2Stream {
    let c = this.current;
    if (c === undefined || c.session.closed || c.session.destroyed) c = this.open();
    else if (c.opened >= this.streamLimit) {
      this.retire(c);
      c = this.open();
    }
    c.opened++;
    const stream = c.session.request(headers, options);
    c.active++;
    const conn = c;
    stream.once("close", () => {
      if (--conn.active === 0 && conn.retired) conn.session.close();
    });
    return stream;
  }

  /**
   * A unary or server-streaming call on the worker link of the current connection, when that link is
   * open (see pool/link.ts) and the connection is not due for renewal; undefined otherwise (the caller
   * opens a stream with {@link request}, which also opens or renews the connection and its link). A
   * request of `bodyBytes` that the worker's message limit leaves no room for on the link takes a stream.
   */
  linkCall(headers: http2.OutgoingHttpHeaders, unary: boolean, bodyBytes: number): LinkStream | undefined {
    const c = this.current;
    if (c === undefined || c.link === undefined || c.link.state !== "open" || c.session.closed || c.session.destroyed) return undefined;
    // Link calls count towards maxCallsPerConnection like streams: at the limit the caller's request()
    // renews the connection (so load spreads again behind an address that is a load balancer).
    if (c.opened >= this.streamLimit) return undefined;
    const stream = c.link.call(headers, unary, bodyBytes);
    if (stream === undefined) return undefined;
    c.opened++;
    if (this.stats) this.stats.linkCalls++;
    return stream;
  }

  /** No new stream goes to `c`; it closes once its streams have ended. */
  private retire(c: Connection): void {
    c.retired = true;
    c.link?.end();
    if (this.current === c) this.current = undefined; // its "close" no longer speaks for the replica
    if (c.active === 0) c.session.close();
  }

  private open(): Connection {
    let connected = false;
    const { host, port } = splitAddress(this.address);
    const session = http2.connect(`http://${this.address}`, {
      settings: { enablePush: false, initialWindowSize: 1 << 20 },
      peerMaxConcurrentStreams: 1000,
      // No Nagle: small gRPC frames must leave at once, not wait for the previous segment's ACK.
      createConnection: () => net.connect({ host, port, noDelay: true }),
    });
    const conn: Connection = { session, opened: 0, active: 0, retired: false, link: undefined };
    if (this.cfg.link) {
      conn.link = new WorkerLink(
        session,
        (open, onSocket) => {
          if (!this.stats) return;
          this.stats.linksOpen += open ? 1 : -1;
          if (onSocket) this.stats.linkSocketsOpen += open ? 1 : -1;
        },
        { socket: this.cfg.linkSocket, socketTimeoutMs: this.cfg.connectTimeoutMs },
      );
    }
    this.current = conn;
    this.connections.add(conn);
    // The connection window: large enough that several streams flow at once.
    session.on("connect", () => {
      connected = true;
      try {
        session.setLocalWindowSize(8 << 20);
      } catch {
        // Older peers may refuse; the default window still works.
      }
    });
    const connectTimer = setTimeout(() => {
      if (!connected) session.destroy(new Error(`connect to ${this.address} timed out after ${this.cfg.connectTimeoutMs} ms`));
    }, this.cfg.connectTimeoutMs);
    connectTimer.unref();
    session.on("connect", () => clearTimeout(connectTimer));
    session.on("error", (e) => {
      this.lastError = e.message;
    });
    const lost = () => {
      clearTimeout(connectTimer);
      this.connections.delete(conn);
      if (this.current === conn) {
        this.current = undefined;
        if (!this.closed) {
          // A lost connection makes the replica unhealthy until a check says otherwise; check soon.
          this.setHealthy(false, this.lastError === "" ? "connection closed" : this.lastError);
          this.schedule(Math.min(250, this.cfg.healthCheck.intervalMs));
        }
      }
    };
    session.on("close", lost);
    session.on("goaway", () => {
      if (this.current === conn) this.current = undefined;
    });
    if (this.cfg.keepAliveIntervalMs > 0) this.keepAlive(session);
    session.unref();
    return conn;
  }

  /**
   * PINGs the worker every `keepAliveIntervalMs`; a PING not answered within `keepAliveTimeoutMs` means
   * the peer is gone without closing TCP (a host that vanished, a network partition): the connection is
   * destroyed, its calls fail with UNAVAILABLE at once instead of waiting for their deadlines, and the
   * replica is unhealthy until a check on a new connection passes.
   */
  private keepAlive(session: http2.ClientHttp2Session): void {
    const { keepAliveIntervalMs: interval, keepAliveTimeoutMs: timeout } = this.cfg;
    let unanswered: NodeJS.Timeout | undefined;
    const stop = () => {
      clearInterval(ping);
      clearTimeout(unanswered);
    };
    const ping = setInterval(() => {
      if (session.closed || session.destroyed) return stop();
      if (unanswered !== undefined) return; // the last one is still out; its timer decides
      unanswered = setTimeout(() => {
        if (!session.destroyed) session.destroy(new Error(`${this.address} did not answer an HTTP/2 PING within ${timeout} ms`));
      }, timeout);
      unanswered.unref();
      session.ping((err) => {
        clearTimeout(unanswered);
        unanswered = undefined;
        if (err && !session.destroyed) session.destroy(err);
      });
    }, interval);
    ping.unref();
    session.on("close", stop);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), ms);
    this.timer.unref();
  }

  /** Runs one health check now and schedules the next. */
  async check(): Promise<void> {
    if (this.checking || this.closed) return;
    this.checking = true;
    try {
      const status = await checkHealth(this, this.cfg.healthCheck.service, this.cfg.healthCheck.timeoutMs);
      this.setHealthy(status === ServingStatus.SERVING, `health status ${ServingStatus[status]}`);
    } catch (e) {
      this.setHealthy(false, (e as Error).message);
    } finally {
      this.checking = false;
      this.schedule(this.cfg.healthCheck.intervalMs);
    }
  }

  private setHealthy(healthy: boolean, why: string): void {
    this.lastError = healthy ? "" : why;
    if (this.healthy === healthy) return;
    this.healthy = healthy;
    if (healthy) this.breaker.success();
    this.events.onHealth(this, healthy);
  }

  /** Marks the replica unhealthy at once (e.g. its connection was refused); a check runs soon. */
  markDown(why: string): void {
    this.setHealthy(false, why);
    this.schedule(Math.min(250, this.cfg.healthCheck.intervalMs));
  }
}
