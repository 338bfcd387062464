/**
 * One-shot calls used to check that a stack answers correctly before it is measured (load tools count
 * HTTP statuses, not gRPC statuses or response content). Each returns the response in one shape, so the
 * mesh and the baseline can be compared value by value.
 */
import http2 from "node:http2";
import { fromBinary, fromJsonString } from "@bufbuild/protobuf";
import { CompleteResponseSchema, FinishReason } from "../../gen/ts/agentos/model/v1/model_pb.js";
import { EmbedResponseSchema } from "../../gen/ts/agentos/embedding/v1/embedding_pb.js";
import { unaryHeaders, type Payload, type Protocol } from "./payloads.js";

/** A Complete answer in protocol-neutral form. */
export interface CompleteAnswer {
  text: string;
  finishReason: string;
  completionTokens: number;
}

/** An Embed answer in protocol-neutral form. */
export interface EmbedAnswer {
  vectors: number[][];
}

/** Sends one gRPC unary call over h2c and returns the response message bytes; rejects on a non-OK status. */
export async function grpcUnary(target: string, method: string, framed: Uint8Array): Promise<Uint8Array> {
  const session = http2.connect(`http://${target}`);
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      session.once("error", reject);
      const req = session.request({ ":method": "POST", ":path": method, ...unaryHeaders("grpc") });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = "";
      req.on("response", (h) => {
        if (h["grpc-status"] !== undefined) {
          status = String(h["grpc-status"]);
          message = decodeURIComponent(String(h["grpc-message"] ?? ""));
        }
      });
      req.on("trailers", (t) => {
        status = String(t["grpc-status"]);
        message = decodeURIComponent(String(t["grpc-message"] ?? ""));
      });
      req.on("data", (d: Buffer) => chunks.push(d));
      req.on("error", reject);
      req.on("end", () => {
        if (status !== "0") return reject(new Error(`grpc-status ${status}: ${message}`));
        const body = Buffer.concat(chunks);
        if (body.length < 5) return reject(new Error("no response message"));
        const size = body.readUInt32BE(1);
        if (body.length !== 5 + size) return reject(new Error(`response of ${body.length} bytes, its frame header announces 5 + ${size}`));
        resolve(body.subarray(5, 5 + size));
      });
      req.end(framed);
    });
  } finally {
    session.close();
  }
}

/** Sends one HTTP/1.1 POST and returns the body; rejects on a non-2xx status. */
export async function httpPost(url: string, body: Uint8Array, headers: Record<string, string>): Promise<Uint8Array> {
  const res = await fetch(url, { method: "POST", body: Buffer.from(body), headers });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}: ${new TextDecoder().decode(bytes).slice(0, 500)}`);
  return bytes;
}

/** Calls a unary method once with `protocol` at `target` (host:port) and returns the raw response. */
export async function callOnce(protocol: Protocol, target: string, p: Payload): Promise<Uint8Array> {
  if (protocol === "grpc") return grpcUnary(target, p.method, p.body.grpc);
  const path = protocol === "http-json" ? p.restPath : p.method;
  return httpPost(`http://${target}${path}`, p.body[protocol], unaryHeaders(protocol));
}

/** Decodes a Complete answer of any protocol. */
export function decodeComplete(protocol: Protocol, bytes: Uint8Array): CompleteAnswer {
  if (protocol === "http-json") {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as {
      text: string;
      finish_reason: string;
      usage: { completion_tokens: number };
    };
    return { text: j.text, finishReason: j.finish_reason, completionTokens: j.usage.completion_tokens };
  }
  const m =
    protocol === "connect-json"
      ? fromJsonString(CompleteResponseSchema, new TextDecoder().decode(bytes))
      : fromBinary(CompleteResponseSchema, bytes);
  return { text: m.text, finishReason: `FINISH_REASON_${FinishReason[m.finishReason]}`, completionTokens: m.usage?.completionTokens ?? 0 };
}

/** Decodes an Embed answer of any protocol. */
export function decodeEmbed(protocol: Protocol, bytes: Uint8Array): EmbedAnswer {
  if (protocol === "http-json") {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as { embeddings: { values: number[] }[] };
    return { vectors: j.embeddings.map((e) => e.values) };
  }
  const m =
    protocol === "connect-json"
      ? fromJsonString(EmbedResponseSchema, new TextDecoder().decode(bytes))
      : fromBinary(EmbedResponseSchema, bytes);
  return { vectors: m.embeddings.map((e) => e.values) };
}
