/**
 * The OpenAPI document: valid OpenAPI 3.1 (checked by @seriousme/openapi-schema-validator against the
 * official schema), every schema valid JSON Schema 2020-12, descriptions from the .proto comments, and the
 * same routes as the transcoder. Every operation is then called as a generated client would call it (every
 * parameter and body filled from the document's own schemas) against real servers, and every answer is
 * validated against the response schema the document declares.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { createRouterTransport } from "@connectrpc/connect";
import { contractServices, scriptedContracts } from "../rest/testing/contract-services.js";
import { LibraryService, libraryRegistry } from "../rest/testing/library-descriptor.js";
import { library } from "../rest/testing/library-service.js";
import { Recorder } from "../rest/testing/recorder.js";
import { grpcTransportTo, startRest, startUpstream, type Started } from "../rest/testing/servers.js";
import { parseSse, request, type HttpResult } from "../rest/testing/http-client.js";
import { buildOpenApiDocument } from "./index.js";
import { loadProtoComments } from "./comments.js";
import { resolver, sample } from "./testing/samples.js";

type Doc = Record<string, unknown> & { paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };
interface Parameter {
  name?: string;
  in?: string;
  schema?: Record<string, unknown>;
  style?: string;
  $ref?: string;
}
interface Operation {
  operationId: string;
  "x-rpc": string;
  parameters: Parameter[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown>; "x-sse-events"?: Record<string, Record<string, unknown>> }> }>;
}

const METHODS = ["get", "put", "post", "delete", "patch"];

async function validate(doc: unknown) {
  const result = await new Validator().validate(doc as Record<string, unknown>);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
}

/** Validates `value` against `schema` with the document's components in scope. */
function schemaCheck(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  return (schema: Record<string, unknown>, value: unknown): string[] => {
    const check = ajv.compile({ ...schema, components: doc.components });
    return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`);
  };
}

describe("buildOpenApiDocument", () => {
  it("produces a valid OpenAPI 3.1 document for the contracts", async () => {
    await validate(buildOpenApiDocument({ services: contractServices }));
  });

  it("produces a valid OpenAPI 3.1 document for the test-only features (**, custom methods, response_body)", async () => {
    const doc = buildOpenApiDocument({ services: [LibraryService], comments: false }) as Doc;
    await validate(doc);
    expect(doc.paths["/v1/{name}"]?.["get"]?.parameters[0]).toMatchObject({ name: "name", in: "path", schema: { type: "string", pattern: "^shelves/[^/]+/books/[^/]+$" } });
    expect(doc.paths["/v1/cache/{key}"]?.["x-custom-methods"]).toHaveProperty("PURGE");
    expect(doc.paths["/v1/shelves/{shelf_id}:theme"]?.["get"]?.responses["200"]?.content?.["application/json"]?.schema).toEqual({ type: "string" });
  });

  it("has only valid JSON Schema 2020-12 schemas", () => {
    const doc = buildOpenApiDocument({ services: contractServices }) as Doc;
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const schemas = (doc.components["schemas"] ?? {}) as Record<string, Record<string, unknown>>;
    expect(Object.keys(schemas).length).toBeGreaterThan(50);
    for (const [name, schema] of Object.entries(schemas)) {
      expect(() => ajv.compile({ ...schema, components: doc.components }), name).not.toThrow();
    }
  });

  it("carries the .proto doc comments as descriptions", () => {
    expect(loadProtoComments().size).toBeGreaterThan(300);
    const doc = buildOpenApiDocument({ services: contractServices }) as Doc;
    const op = doc.paths["/v1/generate"]?.["post"] as unknown as { summary: string; description: string };
    expect(op.summary).toBe("Generate streams the answer as it is produced.");
    expect(op.description).toContain("Cancelling the call stops the generation on the worker.");
    const schemas = doc.components["schemas"] as Record<string, { description?: string; properties?: Record<string, { description?: string; maxLength?: number; pattern?: string }> }>;
    expect(schemas["agentos.model.v1.GenerateRequest"]?.description).toBe("GenerateRequest asks for a streamed answer. Set exactly one of `prompt` or `messages`.");
    expect(schemas["agentos.model.v1.GenerateRequest"]?.properties?.["model"]).toEqual({
      type: "string",
      maxLength: 128,
      pattern: "^[A-Za-z0-9._:/-]*$",
      description: "The model to use (see ListModels); empty means the default model. At most 128 characters.",
    });
  });

  it("lists exactly the transcoder's routes", async () => {
    const rest = await startRest({ services: contractServices, transport: createRouterTransport(() => {}) });
    try {
      const doc = rest.handler.openApiDocument() as Doc;
      const fromDoc = Object.entries(doc.paths).flatMap(([, item]) => METHODS.filter((m) => item[m]).map((m) => (item[m] as Operation)["x-rpc"] + " " + m.toUpperCase()));
      const fromRoutes = rest.handler.bindings.map((b) => `/${b.service.typeName}/${b.method.name} ${b.httpMethod}`);
      expect(fromDoc.sort()).toEqual(fromRoutes.sort());
      expect(fromRoutes).toHaveLength(21);
    } finally {
      await rest.close();
    }
  });
});

describe("every operation of the served document", () => {
  const recorder = new Recorder();
  let upstream: Started;
  let contracts: Started;
  let features: Started;

  beforeAll(async () => {
    upstream = await startUpstream(scriptedContracts(recorder));
    contracts = await startRest({ services: contractServices, transport: grpcTransportTo(upstream) });
    const transport = createRouterTransport((router) => router.service(LibraryService, library(recorder) as never));
    features = await startRest({ services: [LibraryService], transport, registry: libraryRegistry });
  });
  afterAll(async () => {
    await contracts.close();
    await features.close();
    await upstream.close();
  });

  /** Calls each operation of the document served by `server`, validating each answer. */
  async function driveAll(server: Started): Promise<number> {
    const served = await request(server.url, { path: "/openapi.json" });
    expect(served.status).toBe(200);
    const doc = served.json as Doc;
    await validate(doc);
    const resolve = resolver(doc);
    const check = schemaCheck(doc);
    let calls = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      const ops: [string, Operation][] = [
        ...METHODS.filter((m) => item[m]).map((m) => [m.toUpperCase(), item[m] as Operation] as [string, Operation]),
        ...Object.entries((item["x-custom-methods"] ?? {}) as Record<string, Operation>),
      ];
      for (const [method, op] of ops) {
        recorder.clear();
        let url = path;
        const query: string[] = [];
        const oneofs = new Set<unknown>();
        for (const p of op.parameters) {
          if (p.$ref || !p.name || !p.schema) continue;
          // Like a careful client: one member per oneof.
          const oneof = p.schema["x-oneof"];
          if (oneof !== undefined && oneofs.has(oneof)) continue;
          oneofs.add(oneof);
          const value = sample(p.schema, resolve);
          if (p.in === "path") {
            // Multi-segment variables take their slashes as they are (the document says so).
            const text = String(value);
            url = url.replace(`{${p.name}}`, text.includes("/") ? text : encodeURIComponent(text));
          } else if (p.style === "deepObject") {
            for (const [k, v] of Object.entries(value as Record<string, unknown>)) query.push(`${p.name}[${k}]=${encodeURIComponent(String(v))}`);
          } else if (Array.isArray(value)) {
            for (const v of value) query.push(`${p.name}=${encodeURIComponent(String(v))}`);
          } else query.push(`${p.name}=${encodeURIComponent(String(value))}`);
        }
        const bodySchema = op.requestBody?.content["application/json"]?.schema;
        const body = bodySchema ? sample(bodySchema, resolve) : undefined;
        if (bodySchema) expect(check(bodySchema, body), `${op.operationId} sample body`).toEqual([]);
        const ok = op.responses["200"]?.content ?? {};
        const streaming = "text/event-stream" in ok;
        const send = (accept: string): Promise<HttpResult> =>
          request(server.url, {
            method,
            path: url + (query.length ? `?${query.join("&")}` : ""),
            headers: { accept, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          });
        const r = await send(streaming ? "text/event-stream" : "application/json");
        expect(r.status, `${op.operationId}: ${r.text}`).toBe(200);
        expect(recorder.calls.map((c) => c.procedure), op.operationId).toEqual([op["x-rpc"]]);
        if (!streaming) {
          expect(check(ok["application/json"]?.schema ?? {}, r.json), `${op.operationId} response`).toEqual([]);
        } else {
          const events = ok["text/event-stream"]?.["x-sse-events"] ?? {};
          const { events: got } = parseSse(r.text);
          expect(got.at(-1)?.event, op.operationId).toBe("end");
          for (const e of got) expect(check(events[e.event] ?? { not: {} }, JSON.parse(e.data)), `${op.operationId} ${e.event} event`).toEqual([]);
          recorder.clear();
          const nd = await send("application/x-ndjson");
          expect(nd.headers["content-type"]).toBe("application/x-ndjson");
          for (const line of nd.text.trim().split("\n")) {
            expect(check(ok["application/x-ndjson"]?.schema ?? {}, JSON.parse(line)), `${op.operationId} NDJSON line`).toEqual([]);
          }
        }
        calls++;
      }
    }
    return calls;
  }

  it("calls every contract operation with every parameter and validates every answer", async () => {
    expect(await driveAll(contracts)).toBe(21);
  });

  it("calls every test-only feature operation and validates every answer", async () => {
    expect(await driveAll(features)).toBe(11);
  });

  it("rejects, like the transcoder, a body the schema rejects (unknown property)", async () => {
    const doc = (await request(contracts.url, { path: "/openapi.json" })).json as Doc;
    const schema = doc.paths["/v1/complete"]?.["post"]?.requestBody?.content["application/json"]?.schema ?? {};
    expect(schemaCheck(doc)(schema, { prompt: "x", bogus: 1 })).not.toEqual([]);
    const r = await request(contracts.url, { method: "POST", path: "/v1/complete", headers: { "content-type": "application/json" }, body: '{"prompt":"x","bogus":1}' });
    expect(r.status).toBe(400);
  });
});
