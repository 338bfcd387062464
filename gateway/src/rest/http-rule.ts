/**
 * Reads the `google.api.http` annotations of services into REST bindings, once at start-up: one binding per
 * rule and per `additional_bindings` entry. Everything the transcoder and the OpenAPI document need about a
 * route is resolved here (field descriptors of path variables, body and response body), so a malformed
 * annotation fails start-up with a message naming the method instead of failing a request later.
 *
 * ```ts
 * const bindings = readHttpBindings([ModelService]);
 * bindings[1]; // {httpMethod: "POST", template: "/v1/models/{model}:generate", body: {kind: "all"}, ...}
 * ```
 */
import { getOption, hasOption, type DescField, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { http } from "../../../gen/ts/google/api/annotations_pb.js";
import type { HttpRule } from "../../../gen/ts/google/api/http_pb.js";
import { findField, resolveFieldPath } from "./field-path.js";
import { parsePathTemplate, variableName, type PathTemplate, type TemplateVariable } from "./path-template.js";

/** Where the request body goes: nowhere, the whole request message, or one top-level field. */
export type BodyBinding = { kind: "none" } | { kind: "all" } | { kind: "field"; field: DescField };

/** A path variable resolved to the fields it sets. */
export interface PathVariable extends TemplateVariable {
  /** The fields from the request message down to the leaf the variable sets. */
  fields: DescField[];
}

/** One REST route of one RPC. */
export interface HttpBinding {
  service: DescService;
  method: DescMethod & { methodKind: "unary" | "server_streaming" };
  /** Upper-case HTTP method: GET, POST, PUT, PATCH, DELETE or a custom kind. */
  httpMethod: string;
  template: PathTemplate;
  variables: PathVariable[];
  body: BodyBinding;
  /** The response field sent as the HTTP body instead of the whole response (`response_body`). */
  responseBody: DescField | undefined;
  /** 0 for the rule itself, 1.. for its `additional_bindings`. */
  bindingIndex: number;
}

/** Every REST binding of the given services, in declaration order. */
export function readHttpBindings(services: readonly DescService[]): HttpBinding[] {
  const out: HttpBinding[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (!hasOption(method, http)) continue;
      const rule = getOption(method, http);
      const where = `${service.typeName}.${method.name}`;
      if (method.methodKind !== "unary" && method.methodKind !== "server_streaming") {
        throw new Error(`${where}: REST transcoding supports unary and server-streaming methods, not ${method.methodKind}`);
      }
      const m = method as HttpBinding["method"];
      out.push(toBinding(service, m, rule, 0, where));
      rule.additionalBindings.forEach((extra, i) => {
        if (extra.additionalBindings.length > 0) throw new Error(`${where}: additional_bindings cannot nest`);
        out.push(toBinding(service, m, extra, i + 1, where));
      });
    }
  }
  return out;
}

function toBinding(
  service: DescService,
  method: HttpBinding["method"],
  rule: HttpRule,
  bindingIndex: number,
  where: string,
): HttpBinding {
  let httpMethod: string;
  let path: string;
  switch (rule.pattern.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      httpMethod = rule.pattern.case.toUpperCase();
      path = rule.pattern.value;
      break;
    case "custom":
      httpMethod = rule.pattern.value.kind.toUpperCase();
      path = rule.pattern.value.path;
      if (!/^[A-Z]+$/.test(httpMethod)) throw new Error(`${where}: bad custom HTTP method "${rule.pattern.value.kind}"`);
      break;
    default:
      throw new Error(`${where}: google.api.http rule has no pattern`);
  }
  const template = parsePathTemplate(path);
  const input = method.input;
  const variables: PathVariable[] = template.variables.map((v) => {
    const fields = resolveFieldPath(input, v.fieldPath, false);
    if (typeof fields === "string") throw new Error(`${where}: path variable {${variableName(v)}}: ${fields}`);
    const leaf = fields[fields.length - 1] as DescField;
    if (leaf.fieldKind !== "scalar" && leaf.fieldKind !== "enum") {
      throw new Error(`${where}: path variable {${variableName(v)}} must name a singular scalar or enum field`);
    }
    for (const f of fields.slice(0, -1)) {
      if (f.fieldKind !== "message") throw new Error(`${where}: path variable {${variableName(v)}} crosses a repeated or map field`);
    }
    return { ...v, fields };
  });
  let body: BodyBinding;
  if (rule.body === "") body = { kind: "none" };
  else if (rule.body === "*") body = { kind: "all" };
  else {
    const field = findField(input, rule.body, false);
    if (!field) throw new Error(`${where}: body "${rule.body}" is not a field of ${input.typeName}`);
    if (variables.some((v) => v.fields.length === 1 && v.fields[0] === field)) {
      throw new Error(`${where}: body field "${rule.body}" is also a path variable`);
    }
    body = { kind: "field", field };
  }
  let responseBody: DescField | undefined;
  if (rule.responseBody !== "") {
    responseBody = findField(method.output, rule.responseBody, false);
    if (!responseBody) throw new Error(`${where}: response_body "${rule.responseBody}" is not a field of ${method.output.typeName}`);
  }
  return { service, method, httpMethod, template, variables, body, responseBody, bindingIndex };
}
