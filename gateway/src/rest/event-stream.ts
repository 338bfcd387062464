/**
 * Server-streaming responses over REST, in one of two framings chosen by the `Accept` header.
 *
 * **SSE** (`Accept: text/event-stream`):
 * - every response message is one event with the default type: `data: {message JSON}` + blank line;
 * - success ends with `event: end` / `data: {}`;
 * - failure ends with `event: error` / `data: {google.rpc.Status JSON}`;
 * - an idle stream gets a comment line `: keep-alive` every `heartbeatMs`.
 *
 * **NDJSON** (anything else; `application/x-ndjson`): one JSON object per line, `{"result": {message}}` per
 * message and, on failure, a last line `{"error": {google.rpc.Status}}` (the framing grpc-gateway uses).
 * Success is the end of the body. No heartbeats: every line must be JSON.
 *
 * The HTTP status is 200 once the first byte is out, so the terminal event is where a later error goes.
 * Every event is written (and so flushed) on its own; when the client reads slower than the upstream
 * produces, `send` waits for the socket to drain instead of buffering.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { ResponseSink } from "./http-io.js";

/** The framing of a streamed response. */
export type StreamFraming = "sse" | "ndjson";

/** SSE when the client accepts `text/event-stream`, NDJSON otherwise. */
export function framingFor(accept: string | undefined): StreamFraming {
  return accept !== undefined && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept) ? "sse" : "ndjson";
}

/** Writes one streamed response; see the module comment for the wire format. */
export class EventStreamWriter {
  private closed = false;
  private lastWrite = Date.now();
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onClose = (): void => {
    this.closed = true;
    this.stopHeartbeat();
  };

  constructor(
    private readonly res: ResponseSink,
    readonly framing: StreamFraming,
    private readonly heartbeatMs: number,
  ) {
    res.on("close", this.onClose);
  }

  /** Whether the client has gone away. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends the 200 and the headers at once, then starts heartbeats (SSE). */
  start(extraHeaders: Record<string, string> = {}): void {
    this.res.writeHead(200, {
      ...extraHeaders,
      "content-type": this.framing === "sse" ? "text/event-stream; charset=utf-8" : "application/x-ndjson",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
    this.res.flushHeaders();
    this.lastWrite = Date.now();
    if (this.framing === "sse" && this.heartbeatMs > 0) {
      const tick = Math.max(10, Math.floor(this.heartbeatMs / 2));
      this.timer = setInterval(() => this.heartbeat(), tick);
      this.timer.unref();
    }
  }

  /** Sends one message; resolves false when the client has gone away. */
  send(message: JsonValue): Promise<boolean> {
    const json = JSON.stringify(message);
    return this.write(this.framing === "sse" ? `data: ${json}\n\n` : `{"result":${json}}\n`);
  }

  /** Ends the stream successfully. */
  async end(): Promise<void> {
    if (this.framing === "sse") await this.write("event: end\ndata: {}\n\n");
    this.finish();
  }

  /** Ends the stream with an error (a `google.rpc.Status` JSON object). */
  async fail(status: JsonObject): Promise<void> {
    const json = JSON.stringify(status);
    await this.write(this.framing === "sse" ? `event: error\ndata: ${json}\n\n` : `{"error":${json}}\n`);
    this.finish();
  }

  private finish(): void {
    this.stopHeartbeat();
    this.res.off("close", this.onClose);
    if (!this.closed && !this.res.writableEnded) this.res.end();
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private heartbeat(): void {
    if (this.closed || this.draining || Date.now() - this.lastWrite < this.heartbeatMs) return;
    void this.write(": keep-alive\n\n");
  }

  private async write(chunk: string): Promise<boolean> {
    if (this.closed) return false;
    this.lastWrite = Date.now();
    if (this.res.write(chunk)) return true;
    this.draining = true;
    try {
      return await new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => () => {
          this.res.off("drain", onDrain);
          this.res.off("close", onGone);
          resolve(ok);
        };
        const onDrain = done(true);
        const onGone = done(false);
        this.res.on("drain", onDrain);
        this.res.on("close", onGone);
      });
    } finally {
      this.draining = false;
    }
  }
}
