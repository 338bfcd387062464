/**
 * Records what an upstream service received, for golden tests that assert the exact upstream request:
 * the decoded message, the request headers (metadata), the deadline, and whether the call was cancelled.
 */
import { toJson, type DescMessage, type JsonValue, type Message } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";

/** One call as the upstream saw it. */
export interface RecordedCall {
  /** `/package.Service/Method`. */
  procedure: string;
  message: Message;
  /** The request message as canonical JSON (defaults omitted), for readable assertions. */
  json: JsonValue;
  header: Headers;
  timeoutMs: number | undefined;
  protocol: string;
  /** Resolves when the upstream observes cancellation (the client went away or the deadline passed). */
  cancelled: Promise<void>;
  isCancelled(): boolean;
}

/** Collects calls in arrival order. */
export class Recorder {
  readonly calls: RecordedCall[] = [];
  private waiters: (() => void)[] = [];

  record(schema: DescMessage, message: Message, ctx: HandlerContext): RecordedCall {
    let cancelled = false;
    const call: RecordedCall = {
      procedure: `/${ctx.service.typeName}/${ctx.method.name}`,
      message,
      json: toJson(schema, message),
      header: ctx.requestHeader,
      timeoutMs: ctx.timeoutMs(),
      protocol: ctx.protocolName,
      cancelled: new Promise<void>((resolve) => {
        if (ctx.signal.aborted) {
          cancelled = true;
          resolve();
        }
        ctx.signal.addEventListener("abort", () => {
          cancelled = true;
          resolve();
        });
      }),
      isCancelled: () => cancelled,
    };
    this.calls.push(call);
    for (const w of this.waiters.splice(0)) w();
    return call;
  }

  /** The only call recorded so far; fails when there is not exactly one. */
  only(): RecordedCall {
    if (this.calls.length !== 1) throw new Error(`expected exactly one upstream call, got ${this.calls.length}`);
    return this.calls[0] as RecordedCall;
  }

  /** Waits for the n-th call (1-based). */
  async nth(n: number): Promise<RecordedCall> {
    while (this.calls.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.calls[n - 1] as RecordedCall;
  }

  clear(): void {
    this.calls.length = 0;
  }
}
