import { describe, expect, it } from "vitest";
import { create, createFileRegistry, setExtension, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
  MethodOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { file_google_api_annotations, http } from "../../../gen/ts/google/api/annotations_pb.js";
import type { HttpRuleSchema } from "../../../gen/ts/google/api/http_pb.js";
import { readHttpBindings } from "./http-rule.js";

/** A one-method service `t.S/M(Req) returns (Resp)` with the given rule. */
function service(rule: MessageInitShape<typeof HttpRuleSchema>, kind: { client?: boolean; server?: boolean } = {}): DescService {
  const options = create(MethodOptionsSchema);
  setExtension(options, http, rule as never);
  const field = (name: string, number: number, type: Type, extra = {}) => ({ name, number, type, label: Label.OPTIONAL, jsonName: name, ...extra });
  const file = create(FileDescriptorProtoSchema, {
    name: "t.proto",
    package: "t",
    syntax: "proto3",
    dependency: ["google/api/annotations.proto"],
    messageType: [
      {
        name: "Req",
        field: [
          field("name", 1, Type.STRING),
          field("tags", 2, Type.STRING, { label: Label.REPEATED }),
          field("inner", 3, Type.MESSAGE, { typeName: ".t.Inner" }),
          field("items", 4, Type.MESSAGE, { typeName: ".t.Inner", label: Label.REPEATED }),
        ],
      },
      { name: "Inner", field: [field("id", 1, Type.STRING)] },
      { name: "Resp", field: [field("a", 1, Type.STRING)] },
    ],
    service: [
      {
        name: "S",
        method: [{ name: "M", inputType: ".t.Req", outputType: ".t.Resp", options, clientStreaming: kind.client, serverStreaming: kind.server }],
      },
    ],
  });
  const registry = createFileRegistry(file, (n) => (n === "google/api/annotations.proto" ? file_google_api_annotations : undefined));
  return registry.getService("t.S") as DescService;
}

describe("readHttpBindings", () => {
  it("accepts a nested path variable and a custom method", () => {
    const [b] = readHttpBindings([service({ pattern: { case: "custom", value: { kind: "report", path: "/v1/{inner.id}" } } })]);
    expect(b?.httpMethod).toBe("REPORT");
    expect(b?.variables[0]?.fields.map((f) => f.name)).toEqual(["inner", "id"]);
  });

  it.each([
    [{ pattern: { case: "get", value: "/v1/{nope}" } }, "t.S.M: path variable {nope}: t.Req has no field \"nope\""],
    [{ pattern: { case: "get", value: "/v1/{tags}" } }, "t.S.M: path variable {tags} must name a singular scalar or enum field"],
    [{ pattern: { case: "get", value: "/v1/{inner}" } }, "t.S.M: path variable {inner} must name a singular scalar or enum field"],
    [{ pattern: { case: "get", value: "/v1/{items.id}" } }, "t.S.M: path variable {items.id}: \"items\" is not a message field"],
    [{ pattern: { case: "post", value: "/v1/x" }, body: "missing" }, 't.S.M: body "missing" is not a field of t.Req'],
    [{ pattern: { case: "post", value: "/v1/{name}" }, body: "name" }, 't.S.M: body field "name" is also a path variable'],
    [{ pattern: { case: "get", value: "/v1/x" }, responseBody: "b" }, 't.S.M: response_body "b" is not a field of t.Resp'],
    [{ pattern: { case: "get", value: "v1/x" } }, 'invalid google.api.http path template "v1/x": must start with \'/\''],
    [{ pattern: { case: "custom", value: { kind: "no such", path: "/v1/x" } } }, 't.S.M: bad custom HTTP method "no such"'],
    [{}, "t.S.M: google.api.http rule has no pattern"],
    [
      { pattern: { case: "get", value: "/v1/x" }, additionalBindings: [{ pattern: { case: "get", value: "/v1/y" }, additionalBindings: [{ pattern: { case: "get", value: "/v1/z" } }] }] },
      "t.S.M: additional_bindings cannot nest",
    ],
  ] as [MessageInitShape<typeof HttpRuleSchema>, string][])("refuses a malformed rule at start-up: %j", (rule, message) => {
    expect(() => readHttpBindings([service(rule)])).toThrow(message);
  });

  it("refuses client-streaming methods", () => {
    expect(() => readHttpBindings([service({ pattern: { case: "post", value: "/v1/x" }, body: "*" }, { client: true })])).toThrow(
      "t.S.M: REST transcoding supports unary and server-streaming methods, not client_streaming",
    );
  });
});
