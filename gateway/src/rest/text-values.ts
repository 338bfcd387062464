/**
 * Converts the text of a path parameter or query parameter into the proto3 JSON value of the field it sets,
 * so that one decoder (protobuf-es `mergeFromJson`) checks types and ranges for bodies, paths and queries
 * alike: `"true"` → `true` for bools, `"2"` → `2` for enums given by number, everything else stays text
 * (proto3 JSON accepts numbers, 64-bit integers, bytes, Timestamps, Durations and FieldMasks as strings).
 */
import { ScalarType, type DescEnum, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import { badRequest } from "./errors.js";

/** The type of one value of a field, whatever its cardinality. */
export type ValueType =
  | { kind: "scalar"; scalar: ScalarType }
  | { kind: "enum"; enum: DescEnum }
  | { kind: "message"; message: DescMessage };

/** Well-known types whose JSON form is a string or a number, so they can travel in a path or query. */
export const scalarJsonMessages: ReadonlySet<string> = new Set([
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.FieldMask",
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);

/** Well-known types whose JSON form is not an object. */
export const nonObjectJsonMessages: ReadonlySet<string> = new Set([
  ...scalarJsonMessages,
  "google.protobuf.Value",
  "google.protobuf.ListValue",
]);

/** The value type of a field (the element type of a list, the value type of a map). */
export function valueTypeOf(field: DescField): ValueType {
  switch (field.fieldKind) {
    case "scalar":
      return { kind: "scalar", scalar: field.scalar };
    case "enum":
      return { kind: "enum", enum: field.enum };
    case "message":
      return { kind: "message", message: field.message };
    case "list":
      if (field.listKind === "scalar") return { kind: "scalar", scalar: field.scalar };
      if (field.listKind === "enum") return { kind: "enum", enum: field.enum };
      return { kind: "message", message: field.message };
    case "map":
      if (field.mapKind === "scalar") return { kind: "scalar", scalar: field.scalar };
      if (field.mapKind === "enum") return { kind: "enum", enum: field.enum };
      return { kind: "message", message: field.message };
  }
}

/** Whether values of this type can be written as text in a path or query. */
export function isTextual(t: ValueType): boolean {
  return t.kind !== "message" || scalarJsonMessages.has(t.message.typeName);
}

/**
 * Converts text to the JSON value `mergeFromJson` expects for this type; throws a 400 for a bad bool, bytes
 * that are not base64, and an integer not written in decimal digits (protobuf-es would take "0x10").
 */
export function textToJson(t: ValueType, text: string, what: string): JsonValue {
  if (t.kind === "enum") return /^-?[0-9]+$/.test(text) ? Number(text) : text;
  let scalar: ScalarType | undefined = t.kind === "scalar" ? t.scalar : undefined;
  if (t.kind === "message") {
    const inner = t.message.fields[0];
    if (t.message.typeName.endsWith("Value") && inner?.fieldKind === "scalar") scalar = inner.scalar;
  }
  if (scalar === ScalarType.BOOL) {
    if (text === "true") return true;
    if (text === "false") return false;
    throw badRequest(`invalid value for ${what}: expected true or false, got "${text}"`);
  }
  if (scalar === ScalarType.BYTES && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) {
    // protobuf-es's decoder skips what is not base64, so a "+" sent unescaped in a query (a space by then)
    // would silently change the bytes.
    throw badRequest(`invalid value for ${what}: expected base64 (standard or URL-safe), got "${text}"; send "+" as %2B in a query`);
  }
  if (scalar !== undefined && INTEGERS.has(scalar) && !/^-?[0-9]+$/.test(text)) {
    throw badRequest(`invalid value for ${what}: expected a decimal integer, got "${text}"`);
  }
  return text;
}

const INTEGERS = new Set([
  ScalarType.INT32,
  ScalarType.INT64,
  ScalarType.UINT32,
  ScalarType.UINT64,
  ScalarType.SINT32,
  ScalarType.SINT64,
  ScalarType.FIXED32,
  ScalarType.FIXED64,
  ScalarType.SFIXED32,
  ScalarType.SFIXED64,
]);
