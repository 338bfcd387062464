/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses) for messages and enums in their canonical proto3 JSON form:
 * lowerCamelCase property names, 64-bit integers as strings, enums by name, bytes as base64, well-known types
 * in their special forms (Timestamp as RFC 3339, Duration as "1.5s", Struct as any object, ...). Messages and
 * enums become components named by their full protobuf name and are referenced with `$ref`; a oneof says
 * "at most one of these" with `not` / `required`.
 */
import { ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { ProtoComments } from "./comments.js";
import { listKeywords, mapKeywords, rulesOf, valueKeywords, type JsonSchema } from "./validate-rules.js";

const REF = "#/components/schemas/";

/** Builds component schemas on demand; `components` holds every schema referenced so far. */
export class SchemaBuilder {
  readonly components: Record<string, JsonSchema> = {};

  constructor(
    private readonly comments: ProtoComments,
    /** Whether unknown JSON fields are accepted (then objects allow additional properties). */
    private readonly allowUnknownFields: boolean,
  ) {}

  /** A `$ref` to the component of a message or enum, adding the component on first use. */
  ref(desc: DescMessage | DescEnum): JsonSchema {
    const name = desc.typeName;
    if (!(name in this.components)) {
      this.components[name] = {}; // placeholder first: messages may be recursive
      this.components[name] = desc.kind === "enum" ? this.enumSchema(desc) : this.messageSchema(desc);
    }
    return { $ref: REF + name };
  }

  /**
   * The schema of a message, inline, leaving out the fields at `omit` (dotted proto paths): a request body
   * whose other fields travel in the URL.
   */
  messageSchema(message: DescMessage, omit: readonly string[] = []): JsonSchema {
    const wkt = wellKnown(message);
    if (wkt) return { ...wkt, ...this.describe(message.typeName) };
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const field of message.fields) {
      if (omit.includes(field.name)) continue;
      const nested = omit.filter((p) => p.startsWith(`${field.name}.`)).map((p) => p.slice(field.name.length + 1));
      properties[field.jsonName] =
        nested.length > 0 && field.fieldKind === "message"
          ? { ...this.messageSchema(field.message, nested), ...this.describe(`${message.typeName}.${field.name}`) }
          : this.fieldSchema(field);
      if (rulesOf(field)?.required) required.push(field.jsonName);
    }
    const schema: JsonSchema = { type: "object", ...this.describe(message.typeName), properties };
    if (required.length > 0) schema["required"] = required;
    if (!this.allowUnknownFields) schema["additionalProperties"] = false;
    const exclusive: JsonSchema[] = [];
    for (const oneof of message.oneofs) {
      const names = oneof.fields.map((f) => f.jsonName).filter((n) => n in properties);
      for (let i = 0; i < names.length; i++) {
        for (let j = i + 1; j < names.length; j++) exclusive.push({ required: [names[i], names[j]] });
      }
    }
    if (exclusive.length > 0) schema["not"] = { anyOf: exclusive };
    return schema;
  }

  /** The schema of a field, with its doc comment and protovalidate limits. */
  fieldSchema(field: DescField): JsonSchema {
    const doc = this.describe(`${field.parent.typeName}.${field.name}`);
    const oneofNote = field.oneof ? { "x-oneof": field.oneof.name } : {};
    const rules = rulesOf(field);
    switch (field.fieldKind) {
      case "scalar":
        return { ...scalarSchema(field.scalar), ...(rules ? valueKeywords(rules.type) : {}), ...doc, ...oneofNote };
      case "enum":
        return { ...this.ref(field.enum), ...doc, ...oneofNote };
      case "message":
        return { ...this.ref(field.message), ...doc, ...oneofNote };
      case "list": {
        const { list, items } = listKeywords(rules);
        const item =
          field.listKind === "scalar" ? scalarSchema(field.scalar) : this.ref(field.listKind === "enum" ? field.enum : field.message);
        return { type: "array", items: { ...item, ...items }, ...list, ...doc };
      }
      case "map": {
        const { map, values } = mapKeywords(rules);
        const value =
          field.mapKind === "scalar" ? scalarSchema(field.scalar) : this.ref(field.mapKind === "enum" ? field.enum : field.message);
        const keys = mapKeyPattern(field.mapKey);
        return {
          type: "object",
          additionalProperties: { ...value, ...values },
          ...(keys ? { propertyNames: { pattern: keys } } : {}),
          ...map,
          ...doc,
        };
      }
    }
  }

  private enumSchema(desc: DescEnum): JsonSchema {
    const lines = desc.values
      .map((v) => {
        const c = this.comments.get(`${desc.typeName}.${v.name}`);
        return c ? `- \`${v.name}\`: ${c}` : undefined;
      })
      .filter((l) => l !== undefined);
    const head = this.comments.get(desc.typeName);
    const description = [head, lines.join("\n")].filter((s) => s).join("\n\n");
    if (desc.typeName === "google.protobuf.NullValue") return { type: "null" };
    return { type: "string", enum: desc.values.map((v) => v.name), ...(description ? { description } : {}) };
  }

  private describe(fullName: string): JsonSchema {
    const c = this.comments.get(fullName);
    return c ? { description: c } : {};
  }
}

/** The canonical JSON schema of a scalar type. */
export function scalarSchema(t: ScalarType): JsonSchema {
  switch (t) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32", minimum: -2147483648, maximum: 2147483647 };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "uint32", minimum: 0, maximum: 4294967295 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64", pattern: "^[0-9]+$" };
  }
}

function mapKeyPattern(t: ScalarType): string | undefined {
  if (t === ScalarType.BOOL) return "^(true|false)$";
  if (t === ScalarType.STRING) return undefined;
  return t === ScalarType.UINT32 || t === ScalarType.UINT64 || t === ScalarType.FIXED32 || t === ScalarType.FIXED64
    ? "^[0-9]+$"
    : "^-?[0-9]+$";
}

const wrappers: Record<string, ScalarType> = {
  "google.protobuf.DoubleValue": ScalarType.DOUBLE,
  "google.protobuf.FloatValue": ScalarType.FLOAT,
  "google.protobuf.Int64Value": ScalarType.INT64,
  "google.protobuf.UInt64Value": ScalarType.UINT64,
  "google.protobuf.Int32Value": ScalarType.INT32,
  "google.protobuf.UInt32Value": ScalarType.UINT32,
  "google.protobuf.BoolValue": ScalarType.BOOL,
  "google.protobuf.StringValue": ScalarType.STRING,
  "google.protobuf.BytesValue": ScalarType.BYTES,
};

/** The special JSON forms of the well-known types, or undefined for ordinary messages. */
function wellKnown(message: DescMessage): JsonSchema | undefined {
  const wrapped = wrappers[message.typeName];
  if (wrapped !== undefined) return scalarSchema(wrapped);
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time" };
    case "google.protobuf.Duration":
      return { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$" };
    case "google.protobuf.FieldMask":
      return { type: "string" };
    case "google.protobuf.Struct":
      return { type: "object" };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array" };
    case "google.protobuf.Empty":
      return { type: "object", additionalProperties: false };
    case "google.protobuf.Any":
      return {
        type: "object",
        properties: { "@type": { type: "string", description: "type.googleapis.com/<full message name>" } },
        required: ["@type"],
      };
    default:
      return undefined;
  }
}
