/**
 * A trivial gRPC upstream for measuring the gateway's own cost: answers every unary call with an empty
 * message and OK, and grpc.health.v1 Check with SERVING, straight on node:http2 (no framework).
 *
 *   node --import tsx gateway/test/perf/trivial-upstream.ts PORT
 */
import * as http2 from "node:http2";

const port = Number(process.argv[2] ?? 0);
const EMPTY = Buffer.from([0, 0, 0, 0, 0]);
const SERVING = Buffer.from([0, 0, 0, 0, 2, 8, 1]);

const server = http2.createServer({ settings: { maxConcurrentStreams: 10_000 } });
server.on("stream", (stream, headers) => {
  const body = headers[":path"] === "/grpc.health.v1.Health/Check" ? SERVING : EMPTY;
  stream.on("data", () => {});
  stream.on("error", () => {});
  stream.on("end", () => {
    if (stream.closed) return;
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(body);
  });
});
server.listen(port, "127.0.0.1", () => {
  const a = server.address();
  console.log(`PORT ${typeof a === "object" && a ? a.port : port}`);
});
