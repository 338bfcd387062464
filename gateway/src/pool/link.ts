/**
 * The worker link (`agentos.mesh.v1.WorkerLinkService/Exchange`): unary and server-streaming calls to a
 * replica carried many to a message on one long-lived stream of its connection, instead of one HTTP/2
 * stream each.
 *
 * A grpc.aio worker pays a fixed cost per call (four completion-queue batches, each handed from grpc's
 * poller thread to its event loop) and one hand-off per streamed message; the gateway pays Node's cost of
 * an `Http2Stream` per call and an event per message. On the link a call is an entry in a message: the
 * calls relayed in the same turn of the event loop go out together, and the worker answers with whatever
 * is ready together (results, and the tokens of many streams) in one message (workers/runtime/link.py).
 *
 * The relays do not know the difference: {@link WorkerLink.call} returns a {@link LinkStream}, which is
 * an `UpstreamStream` (upstream/open.ts) as the call's `ClientHttp2Stream` is: the `response` headers,
 * each enveloped message as `data`, `trailers`, `end`, `close`; `rstCode` REFUSED_STREAM when the
 * worker did not run the call; `close(code)` to cancel; `pause()` holds a server stream back through
 * per-call credits. What a call keeps: method, request bytes, metadata, deadline (grpc-timeout),
 * cancellation, status with message and trailers, and flow control. Only unary and server-streaming
 * calls with one uncompressed request of at most {@link LINK_MAX_REQUEST_BYTES} go on the link
 * ({@link linkable}); the rest keep their own streams.
 *
 * A link opens with the connection. Until the worker confirms it (its response header
 * {@link LINK_HEADER}), and for good on a connection to a server that does not serve it (a trailers-only
 * UNIMPLEMENTED: any plain gRPC server), calls take their own streams. When the link stream fails, the
 * calls it carried fail as their streams would have (UNAVAILABLE, maybe run); calls not yet written are
 * refused (never run, safe to retry).
 *
 * When the worker's confirmation names a link socket ({@link LINK_SOCKET_HEADER}; pool/link-socket.ts),
 * the link moves there before it opens: the same messages on a plain TCP connection, which spares the
 * worker grpc core's completion and wake-up per message. Calls keep taking their own streams until the
 * socket answers its preface (or fails: the link then opens on the `Exchange` stream as before), and
 * the `Exchange` stream, which never carried a call, is half-closed. The socket link lives as long as its
 * connection: a connection that fails cuts it, one that closes ends it gracefully.
 */
import * as http2 from "node:http2";
import type * as net from "node:net";
import { Readable } from "node:stream";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ExchangeRequestSchema,
  LinkCallSchema,
  LinkCreditSchema,
  LinkMetadataSchema,
  LinkResultSchema,
} from "../../../gen/ts/agentos/mesh/v1/link_pb.js";
import type { LinkCall, LinkCredit, LinkMetadata } from "../../../gen/ts/agentos/mesh/v1/link_pb.js";
import { encodeFrame, FrameSplitter } from "../grpc/frames.js";
import { parseGrpcTimeout } from "../grpc/headers.js";
import { encodeGrpcMessage, statusFromTrailers } from "../grpc/status.js";
import { LINK_END_FLAG, LINK_SOCKET_HEADER, linkSocketPort, openLinkSocket } from "./link-socket.js";
import { decodeResults, type LinkResultView } from "./link-wire.js";

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/** The link's method path. */
export const LINK_PATH = "/agentos.mesh.v1.WorkerLinkService/Exchange";
/** The response header a worker serving the link confirms it with ("1"). */
export const LINK_HEADER = "agentos-link";
/** The response header with the largest message the worker takes (its `--max-message-bytes`). */
export const LINK_MAX_MESSAGE_HEADER = "agentos-link-max-message";
/** Bytes of messages a server-streaming call may have in flight towards the gateway before the reader takes them. */
export const LINK_WINDOW = 65_535;
/**
 * Bytes a stream's reader takes before they are credited back, as an HTTP/2 endpoint sends WINDOW_UPDATE
 * once half its window is consumed: a stream of small messages (tokens) costs the link no credit
 * messages at all until it has carried this much, instead of one per message taken.
 */
export const LINK_CREDIT_THRESHOLD = 32_768;
/** Largest request (enveloped) sent on the link; larger ones take their own stream. */
export const LINK_MAX_REQUEST_BYTES = 64 * 1024;
/** A calls message is written once it holds this many bytes (less when the worker takes less). */
const MAX_BATCH_BYTES = 256 * 1024;
/** Room a call needs in a calls message besides its request and metadata: id, method, deadline, window. */
const CALL_ROOM = 48;
/** Room a metadata entry needs besides its key and value (its tags and lengths, at most 11 bytes). */
const ENTRY_ROOM = 12;
/** Room a credit takes in a calls message (its tag and length, the call's id and the bytes: at most 19). */
const CREDIT_ROOM = 20;
/** Room a cancellation takes in a calls message (a packed id of at most 10 bytes, and its share of the field's tag and length). */
const CANCEL_ROOM = 12;
/** Largest results message accepted from a worker. */
const MAX_RESULTS_BYTES = 64 << 20;

/** Request headers that are HTTP/2's or gRPC's own, not the call's metadata. */
const NOT_METADATA = new Set(["content-type", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "content-length"]);

/**
 * True when a call with these request headers and this request body can go on a link: one uncompressed
 * message, no request encoding, at most {@link LINK_MAX_REQUEST_BYTES}. (The method must be unary or
 * server-streaming: the caller knows that.)
 */
export function linkable(headers: OutgoingHttpHeaders, body: Buffer): boolean {
  if (body.byteLength < 5 || body.byteLength > LINK_MAX_REQUEST_BYTES || body[0] !== 0) return false;
  if (body.readUInt32BE(1) !== body.byteLength - 5) return false;
  const enc = headers["grpc-encoding"];
  return enc === undefined || enc === "identity";
}

function metadataOf(headers: OutgoingHttpHeaders): LinkMetadata[] {
  const out: LinkMetadata[] = [];
  for (const key in headers) {
    if (key.charCodeAt(0) === 58 /* ':' */ || NOT_METADATA.has(key)) continue;
    const v = headers[key];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [String(v)];
    const binary = key.endsWith("-bin");
    for (const one of values) {
      for (const part of binary ? one.split(",") : [one]) {
        out.push(create(LinkMetadataSchema, { key, value: binary ? Buffer.from(part.trim(), "base64") : Buffer.from(part, "latin1") }));
      }
    }
  }
  return out;
}

/**
 * About the bytes a call with these request headers and this request envelope takes in a calls message
 * (more, never less): every header counts as if it were metadata, its method among them.
 */
function callBytes(headers: OutgoingHttpHeaders, bodyBytes: number): number {
  let n = bodyBytes + CALL_ROOM;
  for (const key in headers) {
    const v = headers[key];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [String(v)]) n += key.length + one.length + ENTRY_ROOM;
  }
  return n;
}

function trailersOf(result: LinkResultView, into: Record<string, string>): void {
  for (const m of result.trailers) {
    const v = m.key.endsWith("-bin") ? Buffer.from(m.value).toString("base64").replace(/=+$/, "") : Buffer.from(m.value).toString("latin1");
    into[m.key] = into[m.key] === undefined ? v : `${into[m.key]},${v}`;
  }
}

/**
 * One call on a link, standing in for its `ClientHttp2Stream`. Write the request with `end(body)` (one
 * enveloped message); read the answer as from the stream: `response` headers, each message as `data`,
 * `trailers`, `end`, `close`. A server stream's messages are passed on as the reader takes them, and
 * what they take is credited back to the worker (its window: {@link LINK_WINDOW} bytes; credits go in
 * steps of {@link LINK_CREDIT_THRESHOLD}), so a client that stops reading stops the worker's writes to it,
 * as HTTP/2 flow control does on a stream of its own.
 */
export class LinkStream extends Readable {
  /** The call's id on the link once written; undefined until then (a call never written was not run). */
  id: number | undefined;
  /** How the call was cut short, as an HTTP/2 RST_STREAM code; 0 once it has its status. */
  rstCode: number | undefined;
  private ended = false;
  /** The call has its status, or the link dropped it: nothing to cancel on the worker any more. */
  private over = false;
  private responded = false;
  /** Enveloped messages not yet handed to the reader. */
  private readonly queue: Buffer[] = [];
  /** The trailers, once the status came, sent after the last message. */
  private trailers: IncomingHttpHeaders | undefined;
  private wanted = false;
  /** Bytes taken by the reader and not yet credited back to the worker. */
  private uncredited = 0;

  /** `bytes`: about what the call takes in a calls message (see {@link callBytes}). */
  constructor(
    private readonly link: WorkerLink,
    private readonly headers: OutgoingHttpHeaders,
    private readonly unary: boolean,
    private readonly bytes: number,
  ) {
    super();
  }

  /** True once the request was handed over (as `Http2Stream.writableEnded`). */
  get writableEnded(): boolean {
    return this.ended;
  }

  /** Sends the call: `body` is its one enveloped request message. */
  end(body: Uint8Array): this {
    if (this.ended) return this;
    this.ended = true;
    const timeout = parseGrpcTimeout(this.headers["grpc-timeout"] as string | undefined);
    const call = create(LinkCallSchema, {
      method: String(this.headers[":path"]),
      request: body.subarray(5),
      timeoutUs: timeout === undefined ? 0n : BigInt(Math.max(1, Math.round(timeout * 1000))),
      metadata: metadataOf(this.headers),
      window: this.unary ? 0 : LINK_WINDOW,
    });
    this.link.submit(this, call, this.bytes);
    return this;
  }

  /** Cancels the call (the relay's `close(NGHTTP2_CANCEL)`); nothing is sent after it. */
  close(code: number = NGHTTP2_CANCEL): void {
    if (this.rstCode !== undefined || this.destroyed) return;
    this.rstCode = code;
    this.destroy();
  }

  /**
   * However the call is torn down before its status (`close`, or `destroy()` as Node does to a stream
   * whose reader leaves a `for await` early), the worker is told to cancel it, as RST_STREAM(CANCEL)
   * would tell it on a stream of its own.
   */
  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.over) {
      this.over = true;
      this.rstCode ??= NGHTTP2_CANCEL;
      this.link.abandon(this);
    }
    callback(err);
  }

  /** @internal The link wrote the call with this id. */
  sent(id: number): void {
    this.id = id;
  }

  /** @internal A streamed message of the call. */
  message(data: Uint8Array): void {
    if (this.rstCode !== undefined) return;
    this.respond();
    this.queue.push(encodeFrame(0, data));
    this.pump();
  }

  /** @internal The call's status (its last result). */
  settle(result: LinkResultView): void {
    if (this.rstCode !== undefined) return;
    if (result.refused) return this.fail(NGHTTP2_REFUSED_STREAM);
    this.rstCode = 0;
    this.over = true;
    const status: Record<string, string> = { "grpc-status": String(result.code) };
    if (result.code !== 0 && result.message !== "") status["grpc-message"] = encodeGrpcMessage(result.message);
    trailersOf(result, status);
    if (this.unary && result.code === 0) {
      this.respond();
      this.queue.push(encodeFrame(0, result.response));
    } else if (!this.responded) {
      // No message went out: a trailers-only response, as grpc sends one.
      this.responded = true;
      this.emit("response", { ":status": 200, "content-type": "application/grpc", ...status });
      this.push(null);
      this.resume(); // nothing to read: end and close as a trailers-only stream does
      return;
    }
    this.trailers = status;
    this.pump();
  }

  /** @internal The call ended without a status: `code` is the RST_STREAM code its stream would show. */
  fail(code: number, err?: Error): void {
    if (this.rstCode !== undefined || this.destroyed) return;
    this.rstCode = code;
    this.over = true;
    this.destroy(err);
  }

  private respond(): void {
    if (this.responded) return;
    this.responded = true;
    this.emit("response", { ":status": 200, "content-type": "application/grpc" });
  }

  override _read(): void {
    this.wanted = true;
    this.pump();
  }

  /** Hands queued messages to the reader while it wants more; then the trailers and the end. */
  private pump(): void {
    if (this.destroyed) return;
    let taken = 0;
    while (this.wanted && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      taken += chunk.byteLength - 5;
      if (!this.push(chunk)) this.wanted = false;
    }
    if (taken > 0 && !this.unary) {
      this.uncredited += taken;
      if (this.uncredited >= LINK_CREDIT_THRESHOLD) {
        this.link.credit(this, this.uncredited);
        this.uncredited = 0;
      }
    }
    if (this.queue.length === 0 && this.trailers !== undefined) {
      const t = this.trailers;
      this.trailers = undefined;
      this.emit("trailers", t, 0);
      this.push(null);
    }
  }
}

/** The link's state: opening (calls take their own streams), open, or closed for good on this connection. */
export type LinkState = "opening" | "open" | "closed";

/** What a {@link WorkerLink} writes to: the `Exchange` stream, or a link socket ({@link socketChannel}). */
interface LinkChannel {
  write(frame: Uint8Array): unknown;
  /** Half-closes: no more calls, credits or cancellations. */
  end(): unknown;
  /** Cuts the link: the worker cancels its calls. */
  close(code?: number): void;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  /** The HTTP/2 code a reset stream ended with (a socket has none). */
  readonly rstCode?: number;
}

function socketChannel(sock: net.Socket): LinkChannel {
  return {
    write: (frame) => sock.write(frame),
    end: () => sock.end(),
    close: () => sock.destroy(),
    get destroyed() {
      return sock.destroyed;
    },
    get writableEnded() {
      return sock.writableEnded;
    },
  };
}

/** How a {@link WorkerLink} opens. */
export interface WorkerLinkOptions {
  /** Moves to the worker's link socket when it names one (default true). */
  socket?: boolean;
  /** Time the link socket may take to connect and answer its preface (default 5,000 ms). */
  socketTimeoutMs?: number;
}

/** The link of one connection. */
export class WorkerLink {
  state: LinkState = "opening";
  /** Why the link closed: the error its calls in flight fail with, when they fail. */
  closedBecause = "";
  private stream: LinkChannel;
  /** Whether the link carries its calls on a link socket (false: on the `Exchange` stream). */
  onSocket = false;
  /** Why the link stayed on the `Exchange` stream though the worker named a link socket ("" otherwise). */
  socketError = "";
  private nextId = 1;
  /** Calls written and not answered, by id. */
  private readonly inFlight = new Map<number, LinkStream>();
  /** Calls waiting for the next write. */
  private queued: { stream: LinkStream; call: LinkCall; bytes: number }[] = [];
  private queuedBytes = 0;
  /** The largest calls message the worker takes (its confirmation says; unbounded until then). */
  private messageLimit = Number.POSITIVE_INFINITY;
  private cancelled: bigint[] = [];
  private credits: LinkCredit[] = [];
  /** About the bytes the pending credits and cancellations take (more, never less). */
  private controlBytes = 0;
  private scheduled = false;
  private readonly splitter = new FrameSplitter(MAX_RESULTS_BYTES);

  /**
   * Opens the link on `session`. `onState` is told when the worker confirms it (true) and when an open
   * link closes (false: the worker drained, the stream failed, or the gateway ended it).
   */
  constructor(
    private readonly session: http2.ClientHttp2Session,
    private readonly onState?: (open: boolean, onSocket: boolean) => void,
    private readonly options: WorkerLinkOptions = {},
  ) {
    const h2 = session.request(
      { ":method": "POST", ":path": LINK_PATH, "content-type": "application/grpc", te: "trailers" },
      { endStream: false },
    );
    this.stream = h2;
    h2.on("error", (e) => {
      if (this.stream === h2 && this.closedBecause === "") this.closedBecause = e.message;
    });
    h2.once("response", (h) => {
      if (h["grpc-status"] !== undefined) {
        // Trailers-only: the worker does not serve the link (UNIMPLEMENTED, as any plain gRPC server) or refused it.
        const s = statusFromTrailers(h);
        this.shut(`the worker answered the link with status ${s?.code ?? "?"}: ${s?.message ?? ""}`);
        return;
      }
      if (h[LINK_HEADER] !== "1") {
        // Something answered that is not a worker serving the link (a proxy, a server answering any path).
        this.shut(`the worker did not confirm the link (no ${LINK_HEADER} header)`);
        if (!this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
        return;
      }
      const limit = Number(h[LINK_MAX_MESSAGE_HEADER]);
      if (Number.isSafeInteger(limit) && limit > 0) this.messageLimit = limit;
      const port = linkSocketPort(h[LINK_SOCKET_HEADER]);
      const host = session.socket?.remoteAddress;
      if (port !== undefined && host !== undefined && this.options.socket !== false) this.moveToSocket(h2, host, port);
      else this.opened();
    });
    h2.on("data", (chunk: Buffer) => {
      if (this.stream === h2) this.onData(chunk);
    });
    h2.once("trailers", (t) => {
      if (this.stream !== h2) return; // the link moved to its socket; this stream carried no call
      this.ended(statusFromTrailers(t));
    });
    h2.once("close", () => {
      if (this.stream !== h2) return;
      this.shut(this.closedBecause || `the link stream closed (HTTP/2 code ${h2.rstCode ?? 0})`);
    });
  }

  private opened(): void {
    if (this.state !== "opening") return;
    this.state = "open";
    this.onState?.(true, this.onSocket);
  }

  /**
   * The worker's status for the whole link. It ends a link with OK only once every call it took has its
   * result: a call still waiting reached it too late (it was draining) and never ran, so it may go to
   * another replica.
   */
  private ended(s: { code: number; message: string } | undefined): void {
    if (s?.code === 0) this.shut("the worker ended the link (draining)", NGHTTP2_REFUSED_STREAM);
    else this.shut(`the link ended with status ${s?.code ?? "?"}: ${s?.message ?? ""}`);
  }

  /** Opens the link socket the worker named; opens on the `Exchange` stream instead if that fails. */
  private moveToSocket(h2: http2.ClientHttp2Stream, host: string, port: number): void {
    openLinkSocket(host, port, this.options.socketTimeoutMs ?? 5_000).then(
      (sock) => {
        if (this.state !== "opening" || h2.destroyed) {
          sock.destroy(); // the link closed meanwhile
          return;
        }
        this.stream = socketChannel(sock);
        this.onSocket = true;
        sock.on("error", (e) => {
          if (this.closedBecause === "") this.closedBecause = `the link socket failed: ${e.message}`;
        });
        sock.on("data", (chunk: Buffer) => this.onData(chunk));
        sock.once("close", () => this.shut(this.closedBecause || "the link socket closed without the worker's status"));
        sock.resume();
        // The link lives as long as its connection: a connection that fails (or leaves a PING unanswered)
        // cuts the socket too; one that closes (the worker's GOAWAY, a renewal) ends it gracefully.
        this.session.once("error", (e: Error) => {
          if (sock.destroyed) return;
          if (this.closedBecause === "") this.closedBecause = `the connection to the worker failed: ${e.message}`;
          sock.destroy();
        });
        this.session.once("close", () => this.end());
        h2.end(); // no call was sent on it: the worker ends it with OK
        this.opened();
      },
      (e: Error) => {
        this.socketError = e.message;
        if (this.state === "opening" && !h2.destroyed) this.opened();
      },
    );
  }

  /** Calls waiting for their result. */
  get pending(): number {
    return this.inFlight.size + this.queued.length;
  }

  /**
   * A stream for one unary (`unary`) or server-streaming call with these request headers and a request
   * envelope of `bodyBytes` (see {@link LinkStream}); undefined when the call does not fit in a calls
   * message the worker takes. That one must take a stream of its own: on the link, a message over the
   * worker's limit would end the link and every call on it, where on its own stream only that call fails
   * (RESOURCE_EXHAUSTED).
   */
  call(headers: OutgoingHttpHeaders, unary: boolean, bodyBytes: number): LinkStream | undefined {
    const bytes = callBytes(headers, bodyBytes);
    return bytes > this.messageLimit ? undefined : new LinkStream(this, headers, unary, bytes);
  }

  /**
   * Ends the link gracefully: no new calls. The calls in flight go on (their credits and cancellations
   * still reach the worker); once the last one has its status the gateway half-closes the stream, and
   * the worker ends it.
   */
  end(): void {
    if (this.state === "closed") return;
    if (this.state === "open") this.onState?.(false, this.onSocket);
    this.state = "closed";
    this.closedBecause ||= "closed by the gateway";
    this.flush();
    this.finishIfIdle();
  }

  /** Half-closes a closed link once no call is left on it (after sending what is pending). */
  private finishIfIdle(): void {
    if (this.state !== "closed" || this.inFlight.size > 0 || this.queued.length > 0) return;
    if (this.stream.destroyed || this.stream.writableEnded) return;
    this.flush();
    this.stream.end();
  }

  /**
   * @internal Queues a call of about `bytes` for the next write (this turn of the event loop). The calls
   * of one message stay within {@link MAX_BATCH_BYTES} and half the worker's limit (as the worker keeps
   * its results messages; the rest is room for the turn's credits and cancellations), and the whole
   * message within the limit: a call that would take it over goes in the next message, alone if it is
   * larger than the half.
   */
  submit(stream: LinkStream, call: LinkCall, bytes: number): void {
    if (this.state === "closed") {
      process.nextTick(() => stream.fail(NGHTTP2_REFUSED_STREAM));
      return;
    }
    const limit = Math.min(MAX_BATCH_BYTES, this.messageLimit / 2);
    // A call that would take the message over goes in the next one, with no credits or cancellations beside it.
    const over = this.queuedBytes + bytes > limit || this.queuedBytes + this.controlBytes + bytes > this.messageLimit;
    if (over && (this.queued.length > 0 || this.credits.length > 0 || this.cancelled.length > 0)) this.flush();
    this.queued.push({ stream, call, bytes });
    this.queuedBytes += bytes;
    if (this.queuedBytes >= limit) this.flush();
    else this.schedule();
  }

  /** @internal The relay cancelled `stream`. */
  abandon(stream: LinkStream): void {
    if (stream.id === undefined) {
      const i = this.queued.findIndex((q) => q.stream === stream);
      if (i >= 0) {
        this.queuedBytes -= this.queued[i]!.bytes;
        this.queued.splice(i, 1);
      }
      return;
    }
    if (this.inFlight.delete(stream.id)) {
      this.makeRoom(CANCEL_ROOM);
      this.cancelled.push(BigInt(stream.id));
      this.schedule();
      this.finishIfIdle();
    }
  }

  /** @internal The reader of `stream` took `bytes` of its messages: the worker may send as many more. */
  credit(stream: LinkStream, bytes: number): void {
    if (stream.id === undefined || !this.inFlight.has(stream.id)) return;
    this.makeRoom(CREDIT_ROOM);
    this.credits.push(create(LinkCreditSchema, { id: BigInt(stream.id), bytes }));
    this.schedule();
  }

  /**
   * Counts a credit or cancellation of about `bytes` into the pending message, writing what is pending
   * first when it would take the message over the worker's limit.
   */
  private makeRoom(bytes: number): void {
    if (this.queuedBytes + this.controlBytes + bytes > this.messageLimit) this.flush();
    this.controlBytes += bytes;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.queued.length === 0 && this.cancelled.length === 0 && this.credits.length === 0) return;
    if (this.stream.destroyed || this.stream.writableEnded) {
      this.refuseQueued();
      this.cancelled = [];
      this.credits = [];
      this.controlBytes = 0;
      return;
    }
    const calls: LinkCall[] = [];
    for (const q of this.queued) {
      const id = this.nextId++;
      q.call.id = BigInt(id);
      q.stream.sent(id);
      this.inFlight.set(id, q.stream);
      calls.push(q.call);
    }
    const msg = create(ExchangeRequestSchema, { calls, cancelled: this.cancelled, credits: this.credits });
    this.queued = [];
    this.queuedBytes = 0;
    this.cancelled = [];
    this.credits = [];
    this.controlBytes = 0;
    this.stream.write(encodeFrame(0, toBinary(ExchangeRequestSchema, msg)));
  }

  private onData(chunk: Buffer): void {
    let frames;
    try {
      frames = this.splitter.push(chunk);
    } catch (e) {
      this.closedBecause = `the worker sent ${(e as Error).message}`;
      this.stream.close(NGHTTP2_INTERNAL_ERROR);
      return;
    }
    for (const f of frames) {
      let results;
      try {
        if (f.flags === LINK_END_FLAG && this.onSocket) {
          const end = fromBinary(LinkResultSchema, f.data);
          this.ended({ code: end.code, message: end.message });
          return;
        }
        if (f.flags !== 0) throw new Error(`a message with flags ${f.flags}`);
        results = decodeResults(f.data);
      } catch (e) {
        this.closedBecause = `the worker sent a results message that does not decode: ${(e as Error).message}`;
        this.stream.close(NGHTTP2_INTERNAL_ERROR);
        return;
      }
      for (const r of results) {
        const id = Number(r.id);
        const s = this.inFlight.get(id);
        if (s === undefined) continue; // cancelled meanwhile
        if (r.more) {
          s.message(r.response);
          continue;
        }
        this.inFlight.delete(id);
        s.settle(r);
      }
    }
    this.finishIfIdle();
  }

  /**
   * Closed for good: calls in flight fail as their streams would have (maybe run), or with
   * `inFlightCode` when the way the link ended says they did not run; queued ones were never sent.
   */
  private shut(why: string, inFlightCode?: number): void {
    const wasOpen = this.state === "open";
    this.state = "closed";
    if (this.closedBecause === "") this.closedBecause = why;
    if (!this.stream.destroyed && this.stream.writableEnded === false) this.stream.end();
    const err = new Error(this.closedBecause);
    const rst = inFlightCode ?? (this.stream.rstCode && this.stream.rstCode !== 0 ? this.stream.rstCode : NGHTTP2_INTERNAL_ERROR);
    for (const s of this.inFlight.values()) s.fail(rst, rst === NGHTTP2_REFUSED_STREAM ? undefined : err);
    this.inFlight.clear();
    this.refuseQueued();
    if (wasOpen) this.onState?.(false, this.onSocket);
  }

  /** Calls never written were never run: refused, so they may go elsewhere. */
  private refuseQueued(): void {
    for (const q of this.queued) q.stream.fail(NGHTTP2_REFUSED_STREAM);
    this.queued = [];
    this.queuedBytes = 0;
  }
}
