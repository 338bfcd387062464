/**
 * protovalidate field rules → JSON Schema keywords, so the OpenAPI document states the limits the gateway
 * and the workers enforce (`maxLength`, `pattern`, `maximum`, `minItems`, ...). Only rules that JSON Schema
 * expresses exactly are carried over; byte-length limits and CEL expressions stay in the `.proto` comments.
 */
import { getOption, hasOption, isFieldSet, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import {
  field as fieldRules,
  MapRulesSchema,
  RepeatedRulesSchema,
  StringRulesSchema,
  type FieldRules,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

/** The protovalidate rules of a field, if any. */
export function rulesOf(field: DescField): FieldRules | undefined {
  return hasOption(field, fieldRules) ? getOption(field, fieldRules) : undefined;
}

/** The value of an optional rule field, or undefined when the rule does not set it. */
function opt<T>(schema: DescMessage, rules: Message, name: string): T | undefined {
  const field = schema.fields.find((f) => f.localName === name);
  return field && isFieldSet(rules, field) ? ((rules as unknown as Record<string, T>)[name] as T) : undefined;
}

/** Keywords for one value of the field (an element of a list, a value of a map, or the field itself). */
export function valueKeywords(rules: FieldRules["type"]): JsonSchema {
  const out: JsonSchema = {};
  switch (rules.case) {
    case "string": {
      const r = rules.value;
      const minLen = opt<bigint>(StringRulesSchema, r, "minLen");
      const maxLen = opt<bigint>(StringRulesSchema, r, "maxLen");
      const len = opt<bigint>(StringRulesSchema, r, "len");
      const pattern = opt<string>(StringRulesSchema, r, "pattern");
      if (minLen !== undefined) out["minLength"] = Number(minLen);
      if (maxLen !== undefined) out["maxLength"] = Number(maxLen);
      if (len !== undefined) out["minLength"] = out["maxLength"] = Number(len);
      if (pattern !== undefined) out["pattern"] = pattern;
      if (r.in.length > 0) out["enum"] = [...r.in];
      if (r.wellKnown.case === "email" && r.wellKnown.value) out["format"] = "email";
      if (r.wellKnown.case === "uuid" && r.wellKnown.value) out["format"] = "uuid";
      if (r.wellKnown.case === "uri" && r.wellKnown.value) out["format"] = "uri";
      break;
    }
    case "int32":
    case "uint32":
    case "sint32":
    case "fixed32":
    case "sfixed32":
    case "float":
    case "double": {
      const r = rules.value;
      if (r.lessThan.case === "lt") out["exclusiveMaximum"] = r.lessThan.value;
      if (r.lessThan.case === "lte") out["maximum"] = r.lessThan.value;
      if (r.greaterThan.case === "gt") out["exclusiveMinimum"] = r.greaterThan.value;
      if (r.greaterThan.case === "gte") out["minimum"] = r.greaterThan.value;
      break;
    }
    default:
      break;
  }
  return out;
}

/** Keywords of a repeated field: item counts, uniqueness, and the rules of each item. */
export function listKeywords(rules: FieldRules | undefined): { list: JsonSchema; items: JsonSchema } {
  if (rules?.type.case !== "repeated") return { list: {}, items: {} };
  const r = rules.type.value;
  const list: JsonSchema = {};
  const minItems = opt<bigint>(RepeatedRulesSchema, r, "minItems");
  const maxItems = opt<bigint>(RepeatedRulesSchema, r, "maxItems");
  if (minItems !== undefined) list["minItems"] = Number(minItems);
  if (maxItems !== undefined) list["maxItems"] = Number(maxItems);
  if (r.unique) list["uniqueItems"] = true;
  return { list, items: r.items ? valueKeywords(r.items.type) : {} };
}

/** Keywords of a map field: entry counts and the rules of each value. */
export function mapKeywords(rules: FieldRules | undefined): { map: JsonSchema; values: JsonSchema } {
  if (rules?.type.case !== "map") return { map: {}, values: {} };
  const r = rules.type.value;
  const map: JsonSchema = {};
  const minPairs = opt<bigint>(MapRulesSchema, r, "minPairs");
  const maxPairs = opt<bigint>(MapRulesSchema, r, "maxPairs");
  if (minPairs !== undefined) map["minProperties"] = Number(minPairs);
  if (maxPairs !== undefined) map["maxProperties"] = Number(maxPairs);
  if (r.keys?.type.case === "string") {
    const k = valueKeywords(r.keys.type);
    if (Object.keys(k).length > 0) map["propertyNames"] = k;
  }
  return { map, values: r.values ? valueKeywords(r.values.type) : {} };
}
