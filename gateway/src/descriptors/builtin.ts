/**
 * Descriptors of the standard services the gateway serves itself: grpc.health.v1 and gRPC server
 * reflection (v1 and v1alpha). No npm package ships them for protobuf-es, so they are built here from
 * their published definitions, field by field.
 */
import { create, createFileRegistry } from "@bufbuild/protobuf";
import type { DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import type { DescriptorProto, FieldDescriptorProto } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";

type FieldSpec = [name: string, number: number, type: "string" | "bytes" | "int32" | `.${string}`, opts?: { repeated?: boolean; oneof?: number; enum?: boolean }];

function field(pkg: string, [name, number, type, opts]: FieldSpec): MessageInitShape<typeof import("@bufbuild/protobuf/wkt").FieldDescriptorProtoSchema> {
  const scalar = { string: FieldDescriptorProto_Type.STRING, bytes: FieldDescriptorProto_Type.BYTES, int32: FieldDescriptorProto_Type.INT32 } as const;
  const f: Partial<Omit<FieldDescriptorProto, "$typeName">> = {
    name,
    number,
    label: opts?.repeated ? FieldDescriptorProto_Label.REPEATED : FieldDescriptorProto_Label.OPTIONAL,
  };
  if (type.startsWith(".")) {
    f.type = opts?.enum ? FieldDescriptorProto_Type.ENUM : FieldDescriptorProto_Type.MESSAGE;
    f.typeName = `.${pkg}${type}`;
  } else {
    f.type = scalar[type as keyof typeof scalar];
  }
  if (opts?.oneof !== undefined) f.oneofIndex = opts.oneof;
  return f as MessageInitShape<typeof import("@bufbuild/protobuf/wkt").FieldDescriptorProtoSchema>;
}

function message(pkg: string, name: string, fields: FieldSpec[], extra: Partial<DescriptorProto> = {}): MessageInitShape<typeof import("@bufbuild/protobuf/wkt").DescriptorProtoSchema> {
  return { name, field: fields.map((f) => field(pkg, f)), ...extra } as MessageInitShape<typeof import("@bufbuild/protobuf/wkt").DescriptorProtoSchema>;
}

function healthFile(): DescFile {
  const pkg = "grpc.health.v1";
  const proto = create(FileDescriptorProtoSchema, {
    name: "grpc/health/v1/health.proto",
    package: pkg,
    syntax: "proto3",
    messageType: [
      message(pkg, "HealthCheckRequest", [["service", 1, "string"]]),
      message(pkg, "HealthCheckResponse", [["status", 1, ".HealthCheckResponse.ServingStatus", { enum: true }]], {
        enumType: [
          {
            name: "ServingStatus",
            value: [
              { name: "UNKNOWN", number: 0 },
              { name: "SERVING", number: 1 },
              { name: "NOT_SERVING", number: 2 },
              { name: "SERVICE_UNKNOWN", number: 3 },
            ],
          },
        ],
      } as Partial<DescriptorProto>),
    ],
    service: [
      {
        name: "Health",
        method: [
          { name: "Check", inputType: `.${pkg}.HealthCheckRequest`, outputType: `.${pkg}.HealthCheckResponse` },
          { name: "Watch", inputType: `.${pkg}.HealthCheckRequest`, outputType: `.${pkg}.HealthCheckResponse`, serverStreaming: true },
        ],
      },
    ],
  });
  return createFileRegistry(proto, () => undefined).getFile(proto.name)!;
}

function reflectionFile(version: "v1" | "v1alpha"): DescFile {
  const pkg = `grpc.reflection.${version}`;
  const proto = create(FileDescriptorProtoSchema, {
    name: `grpc/reflection/${version}/reflection.proto`,
    package: pkg,
    syntax: "proto3",
    messageType: [
      message(
        pkg,
        "ServerReflectionRequest",
        [
          ["host", 1, "string"],
          ["file_by_filename", 3, "string", { oneof: 0 }],
          ["file_containing_symbol", 4, "string", { oneof: 0 }],
          ["file_containing_extension", 5, ".ExtensionRequest", { oneof: 0 }],
          ["all_extension_numbers_of_type", 6, "string", { oneof: 0 }],
          ["list_services", 7, "string", { oneof: 0 }],
        ],
        { oneofDecl: [{ name: "message_request" }] } as Partial<DescriptorProto>,
      ),
      message(pkg, "ExtensionRequest", [
        ["containing_type", 1, "string"],
        ["extension_number", 2, "int32"],
      ]),
      message(
        pkg,
        "ServerReflectionResponse",
        [
          ["valid_host", 1, "string"],
          ["original_request", 2, ".ServerReflectionRequest"],
          ["file_descriptor_response", 4, ".FileDescriptorResponse", { oneof: 0 }],
          ["all_extension_numbers_response", 5, ".ExtensionNumberResponse", { oneof: 0 }],
          ["list_services_response", 6, ".ListServiceResponse", { oneof: 0 }],
          ["error_response", 7, ".ErrorResponse", { oneof: 0 }],
        ],
        { oneofDecl: [{ name: "message_response" }] } as Partial<DescriptorProto>,
      ),
      message(pkg, "FileDescriptorResponse", [["file_descriptor_proto", 1, "bytes", { repeated: true }]]),
      message(pkg, "ExtensionNumberResponse", [
        ["base_type_name", 1, "string"],
        ["extension_number", 2, "int32", { repeated: true }],
      ]),
      message(pkg, "ListServiceResponse", [["service", 1, ".ServiceResponse", { repeated: true }]]),
      message(pkg, "ServiceResponse", [["name", 1, "string"]]),
      message(pkg, "ErrorResponse", [
        ["error_code", 1, "int32"],
        ["error_message", 2, "string"],
      ]),
    ],
    service: [
      {
        name: "ServerReflection",
        method: [
          {
            name: "ServerReflectionInfo",
            inputType: `.${pkg}.ServerReflectionRequest`,
            outputType: `.${pkg}.ServerReflectionResponse`,
            clientStreaming: true,
            serverStreaming: true,
          },
        ],
      },
    ],
  });
  return createFileRegistry(proto, () => undefined).getFile(proto.name)!;
}

/** grpc/health/v1/health.proto */
export const healthV1File = healthFile();
/** grpc/reflection/v1/reflection.proto */
export const reflectionV1File = reflectionFile("v1");
/** grpc/reflection/v1alpha/reflection.proto */
export const reflectionV1alphaFile = reflectionFile("v1alpha");

function svc(file: DescFile): DescService {
  return file.services[0]!;
}
function msg(file: DescFile, name: string): DescMessage {
  return file.messages.find((m) => m.name === name)!;
}

/** grpc.health.v1.Health */
export const HealthService = svc(healthV1File);
/** grpc.health.v1.HealthCheckResponse */
export const HealthCheckResponseDesc = msg(healthV1File, "HealthCheckResponse");
/** grpc.reflection.v1.ServerReflection and grpc.reflection.v1alpha.ServerReflection */
export const ReflectionServices = [svc(reflectionV1File), svc(reflectionV1alphaFile)];
