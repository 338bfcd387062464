/**
 * The work every stack is given: the same request content, encoded for each protocol. Proto and proto3
 * JSON encodings come from the generated contract code, so the mesh side gets exactly what a real client
 * sends; the baseline gets the ADR design's hand-written JSON with the same fields and values.
 */
import { create, toBinary, toJsonString, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { CompleteRequestSchema } from "../../gen/ts/agentos/model/v1/model_pb.js";
import { EmbedRequestSchema } from "../../gen/ts/agentos/embedding/v1/embedding_pb.js";

/** Client-facing protocols the harness speaks. */
export type Protocol = "grpc" | "connect-proto" | "connect-json" | "http-json";

/** A workload's request, ready for every protocol. */
export interface Payload {
  /** gRPC/Connect method path, e.g. `/agentos.model.v1.ModelService/Complete`. */
  method: string;
  /** Baseline REST path, e.g. `/v1/complete`. */
  restPath: string;
  /** Request body per protocol (gRPC: with its 5-byte frame header). */
  body: Record<Protocol, Uint8Array>;
}

/** The small unary call: one synthetic token. */
export const UNARY = { prompt: "Say hello in one word.", maxTokens: 1 };
/** The token stream: 256 tokens. */
export const STREAM = { prompt: "Tell me a story about a lighthouse keeper.", maxTokens: 256 };
/** The embeddings batch: 32 texts (each model returns 384 floats per text). */
export const EMBED_TEXTS: string[] = Array.from(
  { length: 32 },
  (_, i) => `Document ${i + 1}: the lighthouse keeper logged ${(i * 7) % 13} ships passing the northern reef before dawn.`,
);
export const EMBED_DIMENSIONS = 384;

/** Prefixes a message with the gRPC length-prefixed frame header (uncompressed). */
export function grpcFrame(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

function encodeAll<D extends DescMessage>(schema: D, msg: MessageShape<D>, json: unknown): Record<Protocol, Uint8Array> {
  const bin = toBinary(schema, msg);
  const enc = new TextEncoder();
  return {
    grpc: grpcFrame(bin),
    "connect-proto": bin,
    "connect-json": enc.encode(toJsonString(schema, msg)),
    "http-json": enc.encode(JSON.stringify(json)),
  };
}

/** The small unary call: ModelService.Complete / POST /v1/complete. */
export function unaryPayload(): Payload {
  const msg = create(CompleteRequestSchema, { prompt: UNARY.prompt, sampling: { maxTokens: UNARY.maxTokens } });
  return {
    method: "/agentos.model.v1.ModelService/Complete",
    restPath: "/v1/complete",
    body: encodeAll(CompleteRequestSchema, msg, { prompt: UNARY.prompt, max_tokens: UNARY.maxTokens }),
  };
}

/** The embeddings batch: EmbeddingService.Embed / POST /v1/embeddings. */
export function embedPayload(): Payload {
  const msg = create(EmbedRequestSchema, { texts: EMBED_TEXTS });
  return {
    method: "/agentos.embedding.v1.EmbeddingService/Embed",
    restPath: "/v1/embeddings",
    body: encodeAll(EmbedRequestSchema, msg, { texts: EMBED_TEXTS }),
  };
}

/** Content type and extra headers of a unary request per protocol. */
export function unaryHeaders(protocol: Protocol): Record<string, string> {
  switch (protocol) {
    case "grpc":
      return { "content-type": "application/grpc", te: "trailers" };
    case "connect-proto":
      return { "content-type": "application/proto", "connect-protocol-version": "1" };
    case "connect-json":
      return { "content-type": "application/json", "connect-protocol-version": "1" };
    case "http-json":
      return { "content-type": "application/json" };
  }
}
