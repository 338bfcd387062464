/**
 * Response message → JSON body: canonical proto3 JSON of the whole message, or of the `response_body` field
 * alone. An unset `response_body` field still gives its JSON default (`[]`, `{}`, `0`, `""`, the zero enum
 * name) so the body is never empty; an unset message field gives `{}` (`null` for well-known types whose JSON
 * is not an object).
 */
import { create, toJson, type DescField, type JsonObject, type JsonValue, type Message, type Registry } from "@bufbuild/protobuf";
import type { HttpBinding } from "./http-rule.js";
import { nonObjectJsonMessages } from "./text-values.js";

/** Encodes responses of one binding. */
export function responseEncoder(binding: HttpBinding, registry: Registry): (message: Message) => JsonValue {
  const output = binding.method.output;
  const field = binding.responseBody;
  if (!field) return (message) => toJson(output, message, { registry });
  const fallback = defaultJson(binding, field, registry);
  return (message) => {
    const json = toJson(output, message, { registry }) as JsonObject;
    return json[field.jsonName] ?? fallback;
  };
}

function defaultJson(binding: HttpBinding, field: DescField, registry: Registry): JsonValue {
  if (field.fieldKind === "message") return nonObjectJsonMessages.has(field.message.typeName) ? null : {};
  const output = binding.method.output;
  const empty = toJson(output, create(output), { registry, alwaysEmitImplicit: true }) as JsonObject;
  return empty[field.jsonName] ?? null;
}
