/**
 * Builds the request message of a matched REST route: the JSON body (the whole message for `body: "*"`, one
 * field for `body: "field"`), then the path variables, then the query parameters, all decoded as canonical
 * proto3 JSON by protobuf-es so types, ranges and unknown fields are checked one way everywhere.
 *
 * A field bound by the path may also be in the body only with the same value (a resource read, changed
 * and sent back carries its own name); a different value is a 400 naming the field: the URL decides, and a
 * body that disagrees with it is a client bug, never silently overridden.
 */
import {
  create,
  equals,
  fromJsonString,
  mergeFromJson,
  type DescField,
  type DescMessage,
  type JsonValue,
  type Message,
  type Registry,
} from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { RestError, badRequest } from "./errors.js";
import type { PathVariable } from "./http-rule.js";
import { applyQuery, nest } from "./query.js";
import type { RouteMatch } from "./route-table.js";
import { nonObjectJsonMessages, textToJson, valueTypeOf } from "./text-values.js";

/** Options for {@link decodeRequest}. */
export interface DecodeOptions {
  registry: Registry;
  allowUnknownFields: boolean;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes the request message of `match` from its body bytes (possibly empty) and query. */
export function decodeRequest(match: RouteMatch, query: URLSearchParams, body: Uint8Array, opts: DecodeOptions): Message {
  const { binding } = match;
  const input = binding.method.input;
  const readOpts = { registry: opts.registry, ignoreUnknownFields: opts.allowUnknownFields };
  let target = create(input) as Message;
  if (body.length > 0) {
    if (binding.body.kind === "none") {
      throw badRequest(`${binding.httpMethod} ${binding.template.text} takes no request body`);
    }
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      throw badRequest("the request body is not valid UTF-8");
    }
    if (binding.body.kind === "all") {
      target = parseMessage(input, text, readOpts);
    } else {
      const field = binding.body.field;
      if (field.fieldKind === "message") {
        reflect(input, target).set(field, reflect(field.message, parseMessage(field.message, text, readOpts)));
      } else {
        const json = parseJson(text);
        try {
          mergeFromJson(input, target, { [field.jsonName]: json }, readOpts);
        } catch (err) {
          throw badRequest(`invalid request body (field "${field.name}"): ${(err as Error).message}`);
        }
      }
    }
  }
  for (const [v, text] of match.values) applyPathValue(input, target, v, text, opts.registry);
  applyQuery(binding, target, query, opts);
  return target;
}

function applyPathValue(input: DescMessage, target: Message, v: PathVariable, text: string, registry: Registry): void {
  const name = v.fieldPath.join(".");
  const leaf = v.fields[v.fields.length - 1] as DescField;
  const what = `path parameter "${name}"`;
  const inBody = isSetAlong(input, target, v.fields);
  const into = inBody ? create(input) : target;
  try {
    mergeFromJson(input, into, nest(v.fields, textToJson(valueTypeOf(leaf), text, what)), { registry });
  } catch (err) {
    if (err instanceof RestError) throw err;
    throw badRequest(`invalid value for ${what}: ${(err as Error).message}`);
  }
  if (inBody && !sameAlong(input, target, into, v.fields)) {
    throw badRequest(`field "${name}" is bound by the URL path and the request body sets it to another value; leave it out of the body or send the same value`);
  }
}

/** Whether the field at the end of `fields` has the same value in `a` and `b` (both set along the path). */
function sameAlong(input: DescMessage, a: Message, b: Message, fields: readonly DescField[]): boolean {
  let ra = reflect(input, a);
  let rb = reflect(input, b);
  for (let i = 0; i < fields.length - 1; i++) {
    ra = ra.get(fields[i] as DescField) as ReflectMessage;
    rb = rb.get(fields[i] as DescField) as ReflectMessage;
  }
  const leaf = fields[fields.length - 1] as DescField;
  const [x, y] = [ra.get(leaf), rb.get(leaf)];
  if (leaf.fieldKind === "message") return equals(leaf.message, (x as ReflectMessage).message, (y as ReflectMessage).message);
  return x === y;
}

function isSetAlong(input: DescMessage, target: Message, fields: readonly DescField[]): boolean {
  let r = reflect(input, target);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as DescField;
    if (!r.isSet(f)) return false;
    if (i === fields.length - 1) return true;
    r = r.get(f) as ReflectMessage;
  }
  return false;
}

function parseMessage<D extends DescMessage>(schema: D, text: string, opts: { registry: Registry; ignoreUnknownFields: boolean }): Message {
  try {
    return fromJsonString(schema, text, opts) as Message;
  } catch (err) {
    const json = parseJson(text);
    const isObject = json !== null && typeof json === "object" && !Array.isArray(json);
    if (!isObject && !nonObjectJsonMessages.has(schema.typeName)) {
      throw badRequest(`the request body must be a JSON object (${schema.typeName}), not ${describe(json)}`);
    }
    throw badRequest(`invalid request body: ${(err as Error).message}`);
  }
}

function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw badRequest(`malformed JSON in the request body: ${(err as Error).message}`);
  }
}

function describe(json: JsonValue): string {
  if (json === null) return "null";
  if (Array.isArray(json)) return "an array";
  return `a ${typeof json}`;
}
