/**
 * Query parameters → request fields, for every field the path and the body leave free: dotted paths into
 * nested messages (`sampling.maxTokens` or `sampling.max_tokens`), repeated fields by repeating the parameter
 * (`states=JOB_STATE_RUNNING&states=JOB_STATE_QUEUED`), map entries as `labels[team]=search`, enums by name
 * or number, well-known types in their JSON string forms (`createTime=2024-05-01T10:00:00Z`).
 *
 * Rejected with 400, each naming the parameter: unknown names (unless unknown fields are allowed), fields
 * bound by the path or carried by the body, a singular field given twice, two members of one oneof, a
 * message field given as a value, and values of the wrong type or out of range.
 */
import {
  mergeFromJson,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type Message,
  type Registry,
} from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { badRequest } from "./errors.js";
import { jsonPath, protoPath, resolveFieldPath } from "./field-path.js";
import type { HttpBinding } from "./http-rule.js";
import { isTextual, textToJson, valueTypeOf } from "./text-values.js";

/** Options for {@link applyQuery}. */
export interface QueryOptions {
  registry: Registry;
  /** Ignore unknown parameters instead of rejecting them. */
  allowUnknownFields: boolean;
}

interface Param {
  name: string;
  fields: DescField[];
  mapKey: string | undefined;
  values: string[];
}

const KEY = /^([^[\]]+)(?:\[([^\]]*)\])?$/;

/** Sets the fields named by `query` on `target` (the request message of `binding`). */
export function applyQuery(binding: HttpBinding, target: Message, query: URLSearchParams, opts: QueryOptions): void {
  const input = binding.method.input;
  const params = new Map<string, Param>();
  const unknown: string[] = [];
  for (const [name, value] of query) {
    const m = KEY.exec(name);
    const fields = m ? resolveFieldPath(input, (m[1] as string).split("."), true) : "bad name";
    if (!m || typeof fields === "string" || (m[2] !== undefined) !== (fields.at(-1)?.fieldKind === "map")) {
      if (!unknown.includes(name)) unknown.push(name);
      continue;
    }
    const key = protoPath(fields) + (m[2] !== undefined ? `[${m[2]}]` : "");
    const p = params.get(key);
    if (p) p.values.push(value);
    else params.set(key, { name, fields, mapKey: m[2], values: [value] });
  }
  if (binding.body.kind === "all") {
    const names = [...unknown, ...[...params.values()].map((p) => p.name)];
    if (names.length > 0 && !opts.allowUnknownFields) {
      throw badRequest(
        `query parameters are not accepted here (${binding.httpMethod} ${binding.template.text} takes the whole ` +
          `request as its JSON body): ${quoteList(names)}`,
      );
    }
    return;
  }
  if (unknown.length > 0 && !opts.allowUnknownFields) {
    throw badRequest(`unknown query parameter${unknown.length > 1 ? "s" : ""} ${quoteList(unknown)} for ${input.typeName}`);
  }
  const oneofs = new Map<string, string>();
  for (const p of params.values()) {
    checkAllowed(binding, p);
    checkOneofs(input, target, p, oneofs);
    const leaf = p.fields[p.fields.length - 1] as DescField;
    const type = valueTypeOf(leaf);
    const what = `query parameter "${p.name}"`;
    let json: JsonValue;
    if (leaf.fieldKind === "list") {
      json = p.values.map((v) => textToJson(type, v, what));
    } else {
      if (p.values.length > 1) throw badRequest(`${what} is given ${p.values.length} times but is not repeated`);
      json = textToJson(type, p.values[0] as string, what);
      if (leaf.fieldKind === "map") json = { [p.mapKey as string]: json };
    }
    try {
      mergeFromJson(input, target, nest(p.fields, json), { registry: opts.registry });
    } catch (err) {
      throw badRequest(`invalid value for ${what}: ${(err as Error).message}`);
    }
  }
}

function checkAllowed(binding: HttpBinding, p: Param): void {
  const what = `query parameter "${p.name}"`;
  if (binding.body.kind === "field" && p.fields[0] === binding.body.field) {
    throw badRequest(`${what} sets a field that is carried by the request body ("${binding.body.field.name}")`);
  }
  for (const v of binding.variables) {
    const n = Math.min(v.fields.length, p.fields.length);
    if (v.fields.slice(0, n).every((f, i) => f === p.fields[i])) {
      throw badRequest(`${what} sets a field that is bound by the URL path ({${v.fieldPath.join(".")}})`);
    }
  }
  const leaf = p.fields[p.fields.length - 1] as DescField;
  const type = valueTypeOf(leaf);
  if (!isTextual(type)) {
    const hint = leaf.fieldKind === "message" ? `; set its fields instead, e.g. ${jsonPath(p.fields)}.<field>` : "";
    throw badRequest(`${what} names a message field that cannot be given as text${hint}`);
  }
}

/** Rejects two members of one oneof, whether both come from the query or one was set by path or body. */
function checkOneofs(input: DescMessage, target: Message, p: Param, seen: Map<string, string>): void {
  let r: ReflectMessage | undefined = reflect(input, target);
  for (let i = 0; i < p.fields.length; i++) {
    const f = p.fields[i] as DescField;
    if (f.oneof) {
      const scope = `${p.fields.slice(0, i).map((x) => x.name).join(".")}/${f.oneof.name}`;
      const other = seen.get(scope);
      if (other !== undefined && other !== f.name) {
        throw badRequest(`query parameter "${p.name}" and another parameter set two members of oneof "${f.oneof.name}"`);
      }
      seen.set(scope, f.name);
      const current: DescField | undefined = r?.oneofCase(f.oneof);
      if (current && current !== f) {
        throw badRequest(`query parameter "${p.name}" conflicts with "${current.name}" (both members of oneof "${f.oneof.name}")`);
      }
    }
    r = r && f.fieldKind === "message" && r.isSet(f) ? (r.get(f) as ReflectMessage) : undefined;
  }
}

/** `{a: {b: value}}` for the fields a.b, with JSON names. */
export function nest(fields: readonly DescField[], value: JsonValue): JsonObject {
  let json: JsonValue = value;
  for (let i = fields.length - 1; i >= 0; i--) json = { [(fields[i] as DescField).jsonName]: json };
  return json as JsonObject;
}

function quoteList(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(", ");
}
