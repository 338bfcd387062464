/**
 * A grpc-js / nice-grpc service definition made from a protobuf-es service descriptor, so independent
 * gRPC clients (nice-grpc on @grpc/grpc-js) call the gateway with the same generated types.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescMessage, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";

type MethodDef = {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (m: MessageInitShape<DescMessage>) => Buffer;
  requestDeserialize: (b: Buffer) => MessageShape<DescMessage>;
  responseSerialize: (m: MessageInitShape<DescMessage>) => Buffer;
  responseDeserialize: (b: Buffer) => MessageShape<DescMessage>;
  originalName: string;
};

/** The grpc-js ServiceDefinition of a service, keyed by method local name (camelCase). */
export function grpcJsDefinition(service: DescService): Record<string, MethodDef> {
  const def: Record<string, MethodDef> = {};
  for (const m of service.methods) {
    def[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
      responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      requestSerialize: (msg) => Buffer.from(toBinary(m.input, create(m.input, msg))),
      requestDeserialize: (b) => fromBinary(m.input, b),
      responseSerialize: (msg) => Buffer.from(toBinary(m.output, create(m.output, msg))),
      responseDeserialize: (b) => fromBinary(m.output, b),
      originalName: m.name,
    };
  }
  return def;
}
