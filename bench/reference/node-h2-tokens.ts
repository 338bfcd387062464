/**
 * What Node's HTTP/2 costs a gateway's client side for token streams: a bare `node:http2` server that answers
 * `ModelService/Generate` itself, writing the synthetic backend's tokens (one `GenerateResponse` per
 * token, at `--rate` tokens/s per stream, the first at once, the final message with finish reason and
 * usage) from one shared timer. It does nothing else: no upstream, no routing, no limits, no metrics.
 * The benchmark runs the many-streams workload against it (variant `reference-node-h2`), so the mesh
 * gateway's CPU per token can be read against what Node's HTTP/2 costs per message written on the
 * machine, before a gateway does anything.
 *
 *   node build/bench/gateway/tokens.mjs --port P --rate 5
 */
import * as http2 from "node:http2";
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FinishReason, GenerateRequestSchema, GenerateResponseSchema } from "../../gen/ts/agentos/model/v1/model_pb.js";
import { encodeFrame } from "../../gateway/src/grpc/frames.js";

const { values } = parseArgs({ options: { port: { type: "string" }, rate: { type: "string", default: "5" } } });
const rate = Number(values.rate);
if (values.port === undefined || !(rate > 0)) {
  console.error("usage: node-h2-tokens --port P --rate TOKENS_PER_SECOND (> 0)");
  process.exit(2);
}
const interval = 1000 / rate;
/** Every token is " the": about the size of the synthetic backend's words. */
const tokenFrame = encodeFrame(0, toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { text: " the", tokenCount: 1 })));
/** grpc.health.v1.HealthCheckResponse{status: SERVING}. */
const serving = encodeFrame(0, Uint8Array.of(0x08, 0x01));

/** A stream's next token: due at `at` (ms, performance.now()), `sent` of `count` written. */
interface Due {
  at: number;
  stream: http2.ServerHttp2Stream;
  sent: number;
  count: number;
}

/** A binary heap of the streams' next tokens by due time; one timer for all of them. */
const heap: Due[] = [];
let timer: NodeJS.Timeout | undefined;
let armedFor = Infinity;

function push(d: Due): void {
  heap.push(d);
  for (let i = heap.length - 1; i > 0; ) {
    const p = (i - 1) >> 1;
    if (heap[p]!.at <= heap[i]!.at) break;
    [heap[p], heap[i]] = [heap[i]!, heap[p]!];
    i = p;
  }
  if (d.at < armedFor) arm(d.at);
}

function pop(): Due {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l]!.at < heap[m]!.at) m = l;
      if (r < heap.length && heap[r]!.at < heap[m]!.at) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i]!, heap[m]!];
      i = m;
    }
  }
  return top;
}

function arm(at: number): void {
  if (timer !== undefined) clearTimeout(timer);
  armedFor = at;
  timer = setTimeout(fire, Math.max(0, at - performance.now()));
}

function fire(): void {
  timer = undefined;
  const until = Math.max(armedFor, performance.now());
  armedFor = Infinity;
  while (heap.length > 0 && heap[0]!.at <= until) write(pop());
  if (heap.length > 0) arm(heap[0]!.at);
}

/** Writes the token due (or, after the last, the final message and the end), and queues the next. */
function write(d: Due): void {
  if (d.stream.closed || d.stream.destroyed) return;
  if (d.sent < d.count) {
    d.stream.write(tokenFrame);
    d.sent++;
    // The final message goes with the last token's turn, as the worker sends it right after the last token.
    if (d.sent < d.count) {
      d.at += interval; // the same entry goes back in: nothing allocated per token
      push(d);
      return;
    }
  }
  const usage = { promptTokens: 0, completionTokens: d.count, totalTokens: d.count };
  d.stream.end(encodeFrame(0, toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { finishReason: FinishReason.LENGTH, usage }))));
}

const server = http2.createServer();
server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  if (headers[":path"] === "/grpc.health.v1.Health/Check") {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(serving);
    return;
  }
  if (headers[":path"] !== "/agentos.model.v1.ModelService/Generate") {
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12" }, { endStream: true });
    return;
  }
  const body: Buffer[] = [];
  stream.on("data", (c: Buffer) => body.push(c));
  stream.on("end", () => {
    if (stream.closed || stream.destroyed) return; // the client reset the call
    const req = Buffer.concat(body);
    const count = req.byteLength >= 5 ? fromBinary(GenerateRequestSchema, req.subarray(5)).sampling?.maxTokens || 16 : 16;
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    write({ at: performance.now(), stream, sent: 0, count });
  });
});
server.listen(Number(values.port), "127.0.0.1", () => console.log(`node http2 token server on 127.0.0.1:${values.port}, ${rate} tokens/s per stream`));
process.on("SIGTERM", () => process.exit(0));
