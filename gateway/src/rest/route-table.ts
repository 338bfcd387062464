/**
 * The REST route table: bindings compiled into a segment trie at start-up, so matching a request costs one
 * walk over its path segments (literal children first, then `*`, then `**`), not a regular-expression scan
 * over every route.
 *
 * Paths are matched segment by segment on the raw path, so `%2F` never splits a segment. Each segment is
 * percent-decoded once; `.` and `..` segments, malformed encodings and control characters are rejected
 * (400), and a single-segment variable whose value decodes to a `/` is rejected too, so a path parameter
 * cannot smuggle another resource's path upstream. Multi-segment variables (`{name=agents/*}`, `**`) keep
 * `%2F` as is, as the google.api.http spec says.
 *
 * ```ts
 * const table = new RouteTable(readHttpBindings(services));
 * table.match("POST", "/v1/models/smollm2:generate"); // {binding, values: Map {"model" → "smollm2"}}
 * ```
 */
import { Code } from "@connectrpc/connect";
import { RestError, badRequest } from "./errors.js";
import type { HttpBinding, PathVariable } from "./http-rule.js";

type MethodMap = Map<string, HttpBinding>;

interface Node {
  literals: Map<string, Node>;
  single: Node | undefined;
  /** Routes ending at this node, by verb ("" for none), then HTTP method. */
  ends: Map<string, MethodMap>;
  /** Routes whose `**` starts at this node (it matches every remaining segment). */
  multi: Map<string, MethodMap>;
}

/** A matched route with the values of its path variables (decoded, in template order). */
export interface RouteMatch {
  binding: HttpBinding;
  values: Map<PathVariable, string>;
}

const newNode = (): Node => ({ literals: new Map(), single: undefined, ends: new Map(), multi: new Map() });
// C0 controls and DEL are never part of a resource name.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Compiled routes; see the module comment. */
export class RouteTable {
  private readonly root = newNode();
  /** First literal segment of every route ("v1"): paths under these belong to REST. */
  readonly prefixes = new Set<string>();

  constructor(bindings: readonly HttpBinding[]) {
    for (const b of bindings) this.add(b);
  }

  private add(b: HttpBinding): void {
    let node = this.root;
    let target: Map<string, MethodMap> = node.ends;
    const first = b.template.segments[0];
    if (first?.kind === "literal") this.prefixes.add(first.value);
    for (const seg of b.template.segments) {
      if (seg.kind === "multi") {
        target = node.multi;
        break;
      }
      if (seg.kind === "literal") {
        let next = node.literals.get(seg.value);
        if (!next) node.literals.set(seg.value, (next = newNode()));
        node = next;
      } else {
        node = node.single ??= newNode();
      }
      target = node.ends;
    }
    let methods = target.get(b.template.verb);
    if (!methods) target.set(b.template.verb, (methods = new Map()));
    const existing = methods.get(b.httpMethod);
    if (existing) {
      throw new Error(
        `REST route conflict: ${b.httpMethod} ${b.template.text} (${b.method.parent.typeName}.${b.method.name}) ` +
          `overlaps ${existing.template.text} (${existing.method.parent.typeName}.${existing.method.name})`,
      );
    }
    methods.set(b.httpMethod, b);
  }

  /** Whether `path` (without query) lies under a REST prefix such as `/v1/`. */
  owns(path: string): boolean {
    const end = path.indexOf("/", 1);
    const first = end < 0 ? path.slice(1) : path.slice(1, end);
    return this.prefixes.has(first.includes("%") ? safeDecode(first) : first);
  }

  /**
   * Matches a request. Throws a RestError: 400 for an unsafe or malformed path, 404 when no route has this
   * path, 405 (with `Allow`) when routes have this path but not this method.
   */
  match(httpMethod: string, path: string): RouteMatch {
    const { found, segments, rawSegments } = this.find(path);
    if (found.length === 0) {
      throw new RestError(`no REST route matches ${httpMethod} ${path}`, Code.NotFound);
    }
    const binding = found.map((m) => m.get(httpMethod)).find((b) => b !== undefined);
    if (!binding) {
      const allow = allowOf(found);
      throw new RestError(`${httpMethod} is not allowed on ${path}; use ${allow}`, Code.Unimplemented, 405, { allow });
    }
    return { binding, values: extract(binding, segments, rawSegments) };
  }

  /** The HTTP methods of the routes matching `path` (for `Allow`), "" when none does. */
  methodsFor(path: string): string {
    return allowOf(this.find(path).found);
  }

  private find(path: string): { found: MethodMap[]; segments: string[]; rawSegments: string[] } {
    if (!path.startsWith("/")) throw badRequest("the request path must start with '/'");
    const raw = path.slice(1).split("/");
    const decoded = raw.map(decodeSegment);
    const found: MethodMap[] = [];
    const lastRaw = raw[raw.length - 1] as string;
    const colon = lastRaw.lastIndexOf(":");
    if (colon >= 0) {
      const verb = lastRaw.slice(colon + 1);
      const rawSegments = raw.slice(0, -1).concat(lastRaw.slice(0, colon));
      const segments = decoded.slice(0, -1).concat(decodeSegment(lastRaw.slice(0, colon)));
      collect(this.root, segments, 0, verb, found);
      if (found.length > 0) return { found, segments, rawSegments };
    }
    collect(this.root, decoded, 0, "", found);
    return { found, segments: decoded, rawSegments: raw };
  }
}

function allowOf(found: readonly MethodMap[]): string {
  return [...new Set(found.flatMap((m) => [...m.keys()]))].sort().join(", ");
}

function collect(node: Node, segs: readonly string[], i: number, verb: string, out: MethodMap[]): void {
  if (i === segs.length) {
    const end = node.ends.get(verb);
    if (end) out.push(end);
  } else {
    const seg = segs[i] as string;
    const lit = node.literals.get(seg);
    if (lit) collect(lit, segs, i + 1, verb, out);
    if (node.single && seg !== "") collect(node.single, segs, i + 1, verb, out);
  }
  const multi = node.multi.get(verb);
  if (multi) out.push(multi);
}

function decodeSegment(raw: string): string {
  let seg = raw;
  if (raw.includes("%")) {
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw badRequest(`malformed percent-encoding in path segment "${raw}"`);
    }
  }
  if (seg === "." || seg === "..") throw badRequest(`path segment "${raw}" is not allowed`);
  if (CONTROL.test(seg)) throw badRequest(`path segment "${raw}" contains a control character`);
  return seg;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function extract(b: HttpBinding, segs: readonly string[], raw: readonly string[]): Map<PathVariable, string> {
  const values = new Map<PathVariable, string>();
  const last = b.template.segments.length - 1;
  for (const v of b.variables) {
    const end = v.end - 1 === last && b.template.segments[last]?.kind === "multi" ? segs.length : v.end;
    if (end - v.start === 1 && b.template.segments[v.start]?.kind === "single") {
      const value = segs[v.start] as string;
      if (value.includes("/")) {
        throw badRequest(`path parameter "${v.fieldPath.join(".")}" must not contain "/" (sent as %2F)`);
      }
      values.set(v, value);
    } else {
      // Multi-segment values keep %2F encoded, so the segment structure stays visible upstream.
      const parts = raw.slice(v.start, end).map((r) => r.split(/%2F/i).map(safeDecode).join("%2F"));
      values.set(v, parts.join("/"));
    }
  }
  return values;
}
