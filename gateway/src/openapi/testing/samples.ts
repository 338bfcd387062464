/**
 * Sample values from the OpenAPI document's own schemas, so a test can call every operation the way a
 * generated client would (every query parameter set, a body filled from its schema) without knowing the
 * contracts.
 */

type Schema = Record<string, unknown>;

/** Resolves `#/components/...` references inside `doc`. */
export function resolver(doc: Schema): (s: Schema) => Schema {
  const resolve = (s: Schema): Schema => {
    const ref = s["$ref"];
    if (typeof ref !== "string") return s;
    let node: unknown = doc;
    for (const part of ref.slice(2).split("/")) node = (node as Schema)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    return resolve({ ...(node as Schema), ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== "$ref")) });
  };
  return resolve;
}

/** A value valid for `schema` (first non-default enum value, 1 for integers, one item per array, ...). */
export function sample(schema: Schema, resolve: (s: Schema) => Schema, depth = 0): unknown {
  const s = resolve(schema);
  const type = s["type"];
  if (Array.isArray(s["enum"])) {
    const values = s["enum"] as unknown[];
    return values.find((v) => typeof v !== "string" || !v.endsWith("_UNSPECIFIED")) ?? values[0];
  }
  switch (type) {
    case "string":
      if (s["format"] === "date-time") return "2025-01-02T03:04:05Z";
      if (s["format"] === "int64" || s["format"] === "uint64") return "42";
      if (s["contentEncoding"] === "base64") return "AQID";
      return aString(s);
    case "integer":
      return 1;
    case "number":
      return 0.5;
    case "boolean":
      return true;
    case "array":
      {
        const min = typeof s["minItems"] === "number" ? (s["minItems"] as number) : 0;
        const n = depth > 3 ? min : Math.max(min, 1);
        return Array.from({ length: n }, () => sample((s["items"] as Schema | undefined) ?? {}, resolve, depth + 1));
      }
    case "object": {
      const out: Record<string, unknown> = {};
      if (depth > 3) return out;
      const props = (s["properties"] as Record<string, Schema> | undefined) ?? {};
      const oneofs = new Set<string>();
      for (const [name, p] of Object.entries(props)) {
        const oneof = p["x-oneof"];
        if (typeof oneof === "string") {
          if (oneofs.has(oneof)) continue;
          oneofs.add(oneof);
        }
        out[name] = sample(p, resolve, depth + 1);
      }
      const extra = s["additionalProperties"];
      if (extra && typeof extra === "object" && Object.keys(props).length === 0) out["k1"] = sample(extra as Schema, resolve, depth + 1);
      return out;
    }
    default:
      return "v";
  }
}

/** The first of a few candidates that meets the schema's pattern and length limits. */
function aString(s: Schema): string {
  const pattern = typeof s["pattern"] === "string" ? (s["pattern"] as string) : undefined;
  const min = typeof s["minLength"] === "number" ? (s["minLength"] as number) : 0;
  const max = typeof s["maxLength"] === "number" ? (s["maxLength"] as number) : Infinity;
  const candidates = ["x1", "a", "1.5s", "agent-1", "x".repeat(Math.max(min, 1)), ...(pattern ? [fromPattern(pattern)] : [])];
  const fits = (c: string) => c.length >= min && c.length <= max && (!pattern || new RegExp(pattern, "u").test(c));
  const found = candidates.find(fits);
  if (found === undefined) throw new Error(`no sample string for ${JSON.stringify(s)}`);
  return found;
}

/** A string matching a simple path pattern such as `^shelves/[^/]+/books/[^/]+$`. */
export function fromPattern(pattern: string): string {
  return pattern
    .replace(/^\^|\$$/g, "")
    .replace(/\[\^\/\]\+/g, "x1")
    .replace(/\.\*/g, "a/b")
    .replace(/\\(.)/g, "$1");
}
