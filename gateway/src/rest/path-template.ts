/**
 * Parses `google.api.http` path templates:
 *
 * ```
 * Template = "/" Segments [ Verb ] ;   Segments = Segment { "/" Segment } ;
 * Segment  = "*" | "**" | LITERAL | Variable ;   Variable = "{" FieldPath [ "=" Segments ] "}" ;
 * FieldPath = IDENT { "." IDENT } ;   Verb = ":" LITERAL ;
 * ```
 *
 * `/v1/{name=agents/*}:cancel` → segments `agents`, `*`; variable `name` over segments 1..2; verb `cancel`.
 * `**` (zero or more segments) may only be the last segment, as in every transcoder that follows the spec.
 */

/** One segment of a template: a literal, `*` (exactly one segment) or `**` (zero or more, last only). */
export type TemplateSegment = { kind: "literal"; value: string } | { kind: "single" } | { kind: "multi" };

/** A `{field.path=...}` variable: the request field it sets and the template segments it spans. */
export interface TemplateVariable {
  /** The field path, split on dots (proto field names). */
  fieldPath: string[];
  /** First template segment of the variable. */
  start: number;
  /** One past its last template segment. */
  end: number;
}

/** A parsed path template. */
export interface PathTemplate {
  /** The template as written in the contract. */
  text: string;
  segments: TemplateSegment[];
  variables: TemplateVariable[];
  /** The custom verb after the last `:`, e.g. "cancel"; "" when there is none. */
  verb: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
// RFC 3986 pchar minus "/", ":" (the verb separator), "{", "}" and "*".
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=@%]+$/;

/** Parses a template; throws an Error naming the template and the problem when it is malformed. */
export function parsePathTemplate(text: string): PathTemplate {
  const fail = (why: string): never => {
    throw new Error(`invalid google.api.http path template "${text}": ${why}`);
  };
  if (!text.startsWith("/")) fail("must start with '/'");
  let body = text.slice(1);
  let verb = "";
  const lastSlash = body.lastIndexOf("/");
  const lastClose = body.lastIndexOf("}");
  const colon = body.lastIndexOf(":");
  if (colon > lastSlash && colon > lastClose) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (!LITERAL.test(verb)) fail(`bad verb "${verb}"`);
  }
  const segments: TemplateSegment[] = [];
  const variables: TemplateVariable[] = [];
  let i = 0;
  const readSegments = (inVariable: boolean): void => {
    for (;;) {
      if (body[i] === "{") {
        if (inVariable) fail("variables cannot nest");
        const close = body.indexOf("}", i);
        if (close < 0) fail("unclosed '{'");
        const inner = body.slice(i + 1, close);
        const eq = inner.indexOf("=");
        const path = eq < 0 ? inner : inner.slice(0, eq);
        const fieldPath = path.split(".");
        if (!fieldPath.every((p) => IDENT.test(p))) fail(`bad field path "${path}"`);
        const start = segments.length;
        if (eq < 0) {
          segments.push({ kind: "single" });
        } else {
          const saved = body;
          const savedI = i;
          body = inner.slice(eq + 1);
          i = 0;
          readSegments(true);
          if (i !== body.length) fail(`bad variable "${inner}"`);
          body = saved;
          i = savedI;
        }
        variables.push({ fieldPath, start, end: segments.length });
        i = close + 1;
      } else {
        const end = nextSeparator(body, i);
        const seg = body.slice(i, end);
        if (seg === "*") segments.push({ kind: "single" });
        else if (seg === "**") segments.push({ kind: "multi" });
        else if (LITERAL.test(seg)) segments.push({ kind: "literal", value: decodeLiteral(seg, fail) });
        else fail(seg === "" ? "empty segment" : `bad segment "${seg}"`);
        i = end;
      }
      if (i >= body.length || body[i] !== "/") return;
      i++;
    }
  };
  if (body === "") fail("empty path");
  readSegments(false);
  if (i !== body.length) fail(`unexpected "${body.slice(i)}"`);
  const multi = segments.findIndex((s) => s.kind === "multi");
  if (multi >= 0 && multi !== segments.length - 1) fail("'**' must be the last segment");
  const seen = new Set<string>();
  for (const v of variables) {
    const key = v.fieldPath.join(".");
    if (seen.has(key)) fail(`variable "${key}" appears twice`);
    seen.add(key);
    if (v.end === v.start) fail(`variable "${key}" matches nothing`);
  }
  return { text, segments, variables, verb };
}

function nextSeparator(s: string, from: number): number {
  for (let j = from; j < s.length; j++) if (s[j] === "/" || s[j] === "}") return j;
  return s.length;
}

function decodeLiteral(seg: string, fail: (why: string) => never): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    return fail(`bad percent-encoding in "${seg}"`);
  }
}

/** The field path of a variable as written in the template, e.g. "parent.name". */
export function variableName(v: TemplateVariable): string {
  return v.fieldPath.join(".");
}
