/**
 * Dotted field paths (`sampling.max_tokens`, `sampling.maxTokens`) resolved against message descriptors.
 * Path variables use proto names (as the spec says); query parameters accept proto or JSON names.
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";

const byName = new WeakMap<DescMessage, Map<string, DescField>>();

/** Finds a field of `message` by proto name, or also by JSON name when `jsonNames` is set. */
export function findField(message: DescMessage, name: string, jsonNames: boolean): DescField | undefined {
  let map = byName.get(message);
  if (!map) {
    map = new Map();
    for (const f of message.fields) map.set(f.name, f);
    for (const f of message.fields) if (!map.has(f.jsonName)) map.set(`json:${f.jsonName}`, f);
    byName.set(message, map);
  }
  return map.get(name) ?? (jsonNames ? (map.get(`json:${name}`) ?? undefined) : undefined);
}

/**
 * Resolves `path` from `root`: every segment but the last must name a singular message field.
 * Returns the fields along the path, or a string saying what is wrong.
 */
export function resolveFieldPath(root: DescMessage, path: readonly string[], jsonNames: boolean): DescField[] | string {
  const fields: DescField[] = [];
  let message: DescMessage | undefined = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string;
    if (!message) return `"${path.slice(0, i).join(".")}" is not a message field`;
    const field = findField(message, seg, jsonNames);
    if (!field) return `${message.typeName} has no field "${seg}"`;
    fields.push(field);
    message = field.fieldKind === "message" ? field.message : undefined;
  }
  return fields;
}

/** The canonical (proto-name) spelling of a resolved path, e.g. "sampling.max_tokens". */
export function protoPath(fields: readonly DescField[]): string {
  return fields.map((f) => f.name).join(".");
}

/** The JSON-name spelling of a resolved path, e.g. "sampling.maxTokens". */
export function jsonPath(fields: readonly DescField[]): string {
  return fields.map((f) => f.jsonName).join(".");
}
