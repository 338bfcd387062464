/**
 * The OpenAPI 3.1 document of the REST routes, built from the same bindings the transcoder compiles (so it
 * lists exactly the paths, methods, parameters and bodies the transcoder accepts): path parameters typed
 * from their fields, query parameters for every field the path and body leave free (dotted, repeated,
 * `map[key]` as deepObject), request bodies (the whole message minus path fields, or the `body` field),
 * responses (JSON, or SSE / NDJSON for server streams) and `google.rpc.Status` errors.
 */
import type { DescField, DescMessage, DescService } from "@bufbuild/protobuf";
import { StatusSchema } from "../../../gen/ts/google/rpc/status_pb.js";
import { readHttpBindings, type HttpBinding } from "../rest/http-rule.js";
import { isTextual, valueTypeOf } from "../rest/text-values.js";
import { loadProtoComments, type ProtoComments } from "./comments.js";
import { conventions } from "./conventions.js";
import { SchemaBuilder } from "./schemas.js";
import type { JsonSchema } from "./validate-rules.js";

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiOptions {
  services: DescService[];
  /** `info.title`; default "AgentOS Worker Mesh REST API". */
  title?: string;
  /** `info.version`; default "v1". */
  version?: string;
  /** `servers`; default none (same origin). */
  servers?: { url: string; description?: string }[];
  /** Doc comments; default read from the repository's `proto/`; false for none. */
  comments?: ProtoComments | false;
  /** Must match the transcoder's setting: objects then allow unknown properties. */
  allowUnknownFields?: boolean;
}

const NO_COMMENTS: ProtoComments = { get: () => undefined, size: 0 };
const MAX_QUERY_DEPTH = 4;

/** Builds the document. */
export function buildOpenApiDocument(options: OpenApiOptions): Record<string, unknown> {
  const comments = options.comments === false ? NO_COMMENTS : (options.comments ?? loadProtoComments());
  const schemas = new SchemaBuilder(comments, options.allowUnknownFields ?? false);
  const statusRef = schemas.ref(StatusSchema);
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  for (const b of readHttpBindings(options.services)) {
    const { path, parameters } = pathOf(b, schemas);
    const op = operation(b, parameters, schemas, comments, operationIds);
    const item = (paths[path] ??= {});
    const key = b.httpMethod.toLowerCase();
    if (!["get", "put", "post", "delete", "options", "head", "patch", "trace"].includes(key)) {
      // OpenAPI 3.1 has no slot for custom methods: list them as an extension.
      ((item["x-custom-methods"] ??= {}) as Record<string, unknown>)[b.httpMethod] = op;
    } else item[key] = op;
  }
  const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: statusRef } } });
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    info: { title: options.title ?? "AgentOS Worker Mesh REST API", version: options.version ?? "v1", description: conventions },
    ...(options.servers ? { servers: options.servers } : {}),
    tags: options.services.map((s) => ({ name: s.name, ...describe(comments, s.typeName) })),
    paths,
    components: {
      schemas: schemas.components,
      responses: {
        BadRequest: errorResponse("Invalid request: malformed JSON, unknown field or parameter, wrong type, value out of range (INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE)."),
        NotFound: errorResponse("No such route, or no such resource (NOT_FOUND)."),
        PayloadTooLarge: errorResponse("The request body exceeds the gateway's limit (RESOURCE_EXHAUSTED)."),
        UnsupportedMediaType: errorResponse("The request body is not application/json."),
        Error: errorResponse("Any other error, with the HTTP status mapped from its gRPC code (see the API description)."),
      },
      parameters: {
        GrpcTimeout: {
          name: "grpc-timeout",
          in: "header",
          description: "Deadline of the call, in gRPC syntax: digits and a unit (H, M, S, m, u, n), e.g. `30S`.",
          schema: { type: "string", pattern: "^[0-9]{1,8}[HMSmun]$" },
        },
        ConnectTimeoutMs: {
          name: "connect-timeout-ms",
          in: "header",
          description: "Deadline of the call in milliseconds (used when grpc-timeout is absent).",
          schema: { type: "string", pattern: "^[0-9]{1,10}$" },
        },
      },
    },
  };
}

function describe(comments: ProtoComments, name: string): { description?: string } {
  const c = comments.get(name);
  return c ? { description: c } : {};
}

/** The OpenAPI path of a binding and its path parameters. */
function pathOf(b: HttpBinding, schemas: SchemaBuilder): { path: string; parameters: JsonSchema[] } {
  const parts: string[] = [];
  const parameters: JsonSchema[] = [];
  const segs = b.template.segments;
  let wildcard = 0;
  for (let i = 0; i < segs.length; ) {
    const v = b.variables.find((x) => x.start === i);
    if (v) {
      const name = v.fieldPath.join(".");
      parts.push(`{${name}}`);
      const leaf = v.fields[v.fields.length - 1] as DescField;
      const simple = v.end - v.start === 1 && segs[v.start]?.kind === "single";
      const schema = simple
        ? schemas.fieldSchema(leaf)
        : {
            type: "string",
            pattern: `^${segs.slice(v.start, v.end).map(segmentPattern).join("/")}$`,
            description: "Spans several path segments: send its slashes as they are, not as %2F.",
          };
      parameters.push({ name, in: "path", required: true, schema: stripDescription(schema), ...pick(schema, "description") });
      i = v.end;
      continue;
    }
    const s = segs[i];
    if (s?.kind === "literal") parts.push(encodeURIComponent(s.value));
    else {
      // A bare `*` or `**` sets no field, but OpenAPI needs it named.
      const name = `wildcard${++wildcard}`;
      parts.push(`{${name}}`);
      parameters.push({
        name,
        in: "path",
        required: true,
        description: s?.kind === "multi" ? "Any path (sets no field)." : "Any single segment (sets no field).",
        schema: { type: "string", ...(s?.kind === "single" ? { pattern: "^[^/]+$" } : {}) },
      });
    }
    i++;
  }
  return { path: "/" + parts.join("/") + (b.template.verb ? `:${b.template.verb}` : ""), parameters };
}

function segmentPattern(s: HttpBinding["template"]["segments"][number]): string {
  if (s.kind === "literal") return s.value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return s.kind === "single" ? "[^/]+" : ".*";
}

function stripDescription(schema: JsonSchema): JsonSchema {
  const { description: _d, ...rest } = schema;
  return rest;
}

function pick(schema: JsonSchema, key: string): JsonSchema {
  return schema[key] !== undefined ? { [key]: schema[key] } : {};
}

function operation(
  b: HttpBinding,
  pathParameters: JsonSchema[],
  schemas: SchemaBuilder,
  comments: ProtoComments,
  ids: Set<string>,
): Record<string, unknown> {
  const full = `${b.service.typeName}.${b.method.name}`;
  let id = `${b.service.name}_${b.method.name}${b.bindingIndex > 0 ? `_${b.bindingIndex + 1}` : ""}`;
  if (ids.has(id)) id = `${full.replace(/\./g, "_")}${b.bindingIndex > 0 ? `_${b.bindingIndex + 1}` : ""}`;
  ids.add(id);
  const doc = comments.get(full);
  const parameters = [
    ...pathParameters,
    ...queryParameters(b, schemas),
    { $ref: "#/components/parameters/GrpcTimeout" },
    { $ref: "#/components/parameters/ConnectTimeoutMs" },
  ];
  const op: Record<string, unknown> = {
    operationId: id,
    tags: [b.service.name],
    ...(doc ? { summary: firstSentence(doc), description: doc } : {}),
    "x-rpc": `/${b.service.typeName}/${b.method.name}`,
    parameters,
  };
  const body = requestBody(b, schemas);
  if (body) op["requestBody"] = body;
  const responses: Record<string, unknown> = { "200": successResponse(b, schemas) };
  responses["400"] = { $ref: "#/components/responses/BadRequest" };
  responses["404"] = { $ref: "#/components/responses/NotFound" };
  if (body) {
    responses["413"] = { $ref: "#/components/responses/PayloadTooLarge" };
    responses["415"] = { $ref: "#/components/responses/UnsupportedMediaType" };
  }
  responses["default"] = { $ref: "#/components/responses/Error" };
  op["responses"] = responses;
  return op;
}

function firstSentence(text: string): string {
  const m = /^(.*?[.!?])(\s|$)/s.exec(text);
  return (m ? (m[1] as string) : text).slice(0, 200);
}

function requestBody(b: HttpBinding, schemas: SchemaBuilder): Record<string, unknown> | undefined {
  let schema: JsonSchema;
  if (b.body.kind === "none") return undefined;
  if (b.body.kind === "all") {
    const omit = b.variables.map((v) => v.fieldPath.join("."));
    schema = omit.length > 0 ? schemas.messageSchema(b.method.input, omit) : schemas.ref(b.method.input);
    if (omit.length > 0) {
      schema["description"] = `${b.method.input.typeName} without the fields in the path (${omit.join(", ")}).`;
    }
  } else {
    const field = b.body.field;
    // Path variables inside the body field (`patch: "/v1/{book.name=...}" body: "book"`) leave the body.
    const omit = b.variables.filter((v) => v.fields[0] === field).map((v) => v.fieldPath.slice(1).join("."));
    schema =
      omit.length > 0 && field.fieldKind === "message"
        ? { ...schemas.messageSchema(field.message, omit), description: `${field.message.typeName} without ${omit.join(", ")} (in the path).` }
        : schemas.fieldSchema(field);
  }
  return {
    description: b.body.kind === "all" ? "The request message." : `The request's \`${b.body.field.name}\` field.`,
    required: false,
    content: { "application/json": { schema } },
  };
}

function successResponse(b: HttpBinding, schemas: SchemaBuilder): Record<string, unknown> {
  const message = b.responseBody ? schemas.fieldSchema(b.responseBody) : schemas.ref(b.method.output);
  if (b.method.methodKind === "unary") {
    return { description: "OK", content: { "application/json": { schema: message } } };
  }
  const status = schemas.ref(StatusSchema);
  return {
    description:
      "A stream of messages. With `Accept: text/event-stream`: one SSE event per message (`data:` the message " +
      "JSON), then `event: end` (`data: {}`) on success or `event: error` (`data:` a google.rpc.Status) on " +
      "failure; `: keep-alive` comments on idle streams. Otherwise NDJSON: one line per message, " +
      '`{"result": message}`, and on failure a last line `{"error": status}`.',
    content: {
      "text/event-stream": {
        schema: { type: "string", description: "Server-sent events; see x-sse-events for each event's data." },
        "x-sse-events": { message: message, end: { type: "object", additionalProperties: false }, error: status },
      },
      "application/x-ndjson": {
        schema: {
          description: "One line of the stream.",
          oneOf: [
            { type: "object", properties: { result: message }, required: ["result"], additionalProperties: false },
            { type: "object", properties: { error: status }, required: ["error"], additionalProperties: false },
          ],
        },
      },
    },
  };
}

/** Query parameters: every textual leaf field the path and the body leave free. */
function queryParameters(b: HttpBinding, schemas: SchemaBuilder): JsonSchema[] {
  if (b.body.kind === "all") return [];
  const out: JsonSchema[] = [];
  const bound = b.variables.map((v) => v.fields);
  const walk = (message: DescMessage, prefix: DescField[], stack: DescMessage[]): void => {
    for (const field of message.fields) {
      const path = [...prefix, field];
      if (b.body.kind === "field" && path[0] === b.body.field) continue;
      if (bound.some((fs) => fs.length === path.length && fs.every((f, i) => f === path[i]))) continue;
      const type = valueTypeOf(field);
      const name = path.map((f) => f.jsonName).join(".");
      if (field.fieldKind === "message" && !isTextual(type)) {
        if (!stack.includes(field.message) && stack.length < MAX_QUERY_DEPTH) {
          walk(field.message, path, [...stack, field.message]);
        }
        continue;
      }
      if (!isTextual(type)) continue;
      const schema = schemas.fieldSchema(field);
      const param: JsonSchema = { name, in: "query", schema: stripDescription(schema), ...pick(schema, "description") };
      if (field.oneof) {
        const members = field.oneof.fields.map((f) => [...prefix, f].map((x) => x.jsonName).join(".")).join(", ");
        const note = `One of \`${field.oneof.name}\`: set at most one of ${members}.`;
        param["description"] = param["description"] ? `${String(param["description"])} ${note}` : note;
      }
      if (field.fieldKind === "list") Object.assign(param, { style: "form", explode: true });
      if (field.fieldKind === "map") Object.assign(param, { style: "deepObject", explode: true });
      out.push(param);
    }
  };
  walk(b.method.input, [], [b.method.input]);
  return out;
}

