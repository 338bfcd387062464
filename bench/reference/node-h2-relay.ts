/**
 * A gRPC relay as Node's `http2` gives it, with nothing of a gateway: each call relayed on a stream of
 * its own to one upstream HTTP/2 session, request and response bytes passed through, the status relayed
 * from the upstream's trailers; no deadlines, size limits, metrics, routing, health or errors beyond the
 * status, and none of the mesh gateway's tuning of Node's per-stream garbage. The benchmark puts it in
 * front of the same native upstream as the gateways (variant `alone-node-relay`), so the mesh gateway's
 * ceiling can be read against what Node's HTTP/2 itself allows on the machine.
 *
 *   node build/bench/gateway/relay.mjs --port P --upstream 127.0.0.1:PORT
 */
import * as http2 from "node:http2";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string" }, upstream: { type: "string" } } });
if (values.port === undefined || values.upstream === undefined) {
  console.error("usage: node-h2-relay --port P --upstream HOST:PORT");
  process.exit(2);
}
const upstream = http2.connect(`http://${values.upstream}`);
upstream.on("error", (e) => {
  console.error(`upstream: ${e.message}`);
  process.exit(1);
});

const server = http2.createServer();
server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  const request: Buffer[] = [];
  stream.on("data", (c: Buffer) => request.push(c));
  stream.on("end", () => {
    if (stream.closed || stream.destroyed) return;
    const up = upstream.request({ ":method": "POST", ":path": headers[":path"], "content-type": "application/grpc", te: "trailers" });
    up.on("error", () => {});
    up.end(Buffer.concat(request));
    const response: Buffer[] = [];
    let status = "14"; // UNAVAILABLE unless the upstream says otherwise
    // The client may be gone by the time the upstream answers (a load tool stopping): nothing to send.
    const open = () => !stream.closed && !stream.destroyed;
    up.on("response", (h) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (open()) stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    });
    up.on("data", (c: Buffer) => response.push(c));
    up.on("trailers", (t) => {
      if (t["grpc-status"] !== undefined) status = String(t["grpc-status"]);
    });
    up.on("close", () => {
      if (!open()) return;
      if (!stream.headersSent) stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": status }));
      stream.end(Buffer.concat(response));
    });
  });
});
server.listen(Number(values.port), "127.0.0.1", () => console.log(`node http2 relay on 127.0.0.1:${values.port} -> ${values.upstream}`));
process.on("SIGTERM", () => process.exit(0));
