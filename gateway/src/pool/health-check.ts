/**
 * One grpc.health.v1.Health/Check call over an existing HTTP/2 session, without any generated client:
 * the request is a single string field, the answer a single enum field.
 */
import type { ClientHttp2Session } from "node:http2";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { encodeFrame } from "../grpc/frames.js";
import { formatGrpcTimeout } from "../grpc/headers.js";

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export enum ServingStatus {
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  SERVICE_UNKNOWN = 3,
}

/** Asks a server for its health; resolves to SERVING, NOT_SERVING, ... or rejects on any failure. */
export function checkHealth(session: Pick<ClientHttp2Session, "request">, service: string, timeoutMs: number): Promise<ServingStatus> {
  return new Promise((resolve, reject) => {
    const w = new BinaryWriter();
    if (service !== "") w.tag(1, 2).string(service);
    let stream;
    try {
      stream = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Check",
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": formatGrpcTimeout(timeoutMs),
      });
    } catch (e) {
      reject(e as Error);
      return;
    }
    const timer = setTimeout(() => {
      stream.close(0x8);
      reject(new Error(`health check timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    stream.on("response", (h) => {
      if (h["grpc-status"] !== undefined) grpcStatus = String(h["grpc-status"]);
    });
    stream.on("trailers", (t) => {
      if (t["grpc-status"] !== undefined) grpcStatus = String(t["grpc-status"]);
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    stream.on("close", () => {
      clearTimeout(timer);
      if (grpcStatus !== "0") {
        reject(new Error(`health check failed with grpc-status ${grpcStatus ?? "none"}`));
        return;
      }
      const body = Buffer.concat(chunks);
      let status = ServingStatus.UNKNOWN;
      try {
        if (body.byteLength >= 5) {
          const r = new BinaryReader(body.subarray(5, 5 + body.readUInt32BE(1)));
          while (r.pos < r.len) {
            const [f, t] = r.tag();
            if (f === 1 && t === 0) status = r.int32() as ServingStatus;
            else r.skip(t);
          }
        }
      } catch (e) {
        // Thrown inside a stream listener it would take the gateway down: a bad answer fails the check.
        reject(new Error(`health check answer does not decode: ${(e as Error).message}`));
        return;
      }
      resolve(status);
    });
    stream.end(encodeFrame(0, w.finish()));
  });
}
