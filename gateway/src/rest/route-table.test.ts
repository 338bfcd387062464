import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { RestError } from "./errors.js";
import { readHttpBindings } from "./http-rule.js";
import { RouteTable } from "./route-table.js";
import { contractServices } from "./testing/contract-services.js";
import { LibraryService } from "./testing/library-descriptor.js";

const table = new RouteTable(readHttpBindings([...contractServices, LibraryService]));

function rpc(method: string, path: string): string {
  const m = table.match(method, path);
  return `${m.binding.method.name} ${[...m.values].map(([v, s]) => `${v.fieldPath.join(".")}=${s}`).join(" ")}`.trim();
}

function failure(method: string, path: string): [number, Code, string, Record<string, string>] {
  try {
    table.match(method, path);
  } catch (err) {
    if (err instanceof RestError) return [err.httpStatus, err.code, err.rawMessage, { ...err.headers }];
    throw err;
  }
  throw new Error(`${method} ${path} matched`);
}

describe("RouteTable", () => {
  it("owns the first literal segments of its routes only", () => {
    expect(table.owns("/v1/models")).toBe(true);
    expect(table.owns("/v1")).toBe(true);
    expect(table.owns("/%76%31/x")).toBe(true);
    expect(table.owns("/agentos.model.v1.ModelService/Generate")).toBe(false);
    expect(table.owns("/healthz")).toBe(false);
    expect(table.owns("/")).toBe(false);
  });

  it("matches literal, variable and verb segments", () => {
    expect(rpc("GET", "/v1/models")).toBe("ListModels");
    expect(rpc("POST", "/v1/models/m1:generate")).toBe("Generate model=m1");
    expect(rpc("POST", "/v1/documents:split")).toBe("SplitDocuments");
    expect(rpc("GET", "/v1/shelves/s1/books/b2")).toBe("GetBook name=shelves/s1/books/b2");
  });

  it("splits the verb at the last colon, so values may contain colons", () => {
    expect(rpc("POST", "/v1/models/org:smol:v2:complete")).toBe("Complete model=org:smol:v2");
    expect(rpc("GET", "/v1/jobs/a:b")).toBe("GetJob job_id=a:b");
  });

  it("takes a known verb as the route's verb: a wrong method on it is a 405, not another route", () => {
    expect(failure("GET", "/v1/jobs/j1:cancel")).toEqual([405, Code.Unimplemented, "GET is not allowed on /v1/jobs/j1:cancel; use POST", { allow: "POST" }]);
  });

  it("does not treat an encoded colon as a verb separator", () => {
    expect(rpc("GET", "/v1/jobs/j1%3Acancel")).toBe("GetJob job_id=j1:cancel");
  });

  it("decodes single-segment values and percent-encoded literals", () => {
    expect(rpc("GET", "/v1/agents/caf%C3%A9%20bar")).toBe("GetAgent agent_id=café bar");
    expect(rpc("GET", "/%76%31/models")).toBe("ListModels");
  });

  it("unions the methods of every matching route in Allow", () => {
    expect(failure("PUT", "/v1/agents/a1")[3]).toEqual({ allow: "DELETE, GET" });
    expect(table.methodsFor("/v1/agents")).toBe("GET, POST");
    expect(table.methodsFor("/v1/nothing")).toBe("");
  });

  it("does not let a variable match an empty segment", () => {
    expect(failure("GET", "/v1/agents/")[0]).toBe(404);
    expect(failure("GET", "/v1//models")[0]).toBe(404);
  });

  it.each([
    ["/v1/agents/a%2Fb", 'path parameter "agent_id" must not contain "/" (sent as %2F)'],
    ["/v1/agents/..", 'path segment ".." is not allowed'],
    ["/v1/agents/%2E%2e", 'path segment "%2E%2e" is not allowed'],
    ["/v1/./models", 'path segment "." is not allowed'],
    ["/v1/agents/%E0%A4%A", 'malformed percent-encoding in path segment "%E0%A4%A"'],
    ["/v1/agents/%FF", 'malformed percent-encoding in path segment "%FF"'],
    ["/v1/agents/a%0Ab", 'path segment "a%0Ab" contains a control character'],
  ])("rejects %s", (path, message) => {
    expect(failure("GET", path).slice(0, 3)).toEqual([400, Code.InvalidArgument, message]);
  });

  it("keeps %2F inside multi-segment variables", () => {
    expect(rpc("GET", "/v1/files/a%2fb/c")).toBe("GetFile path=a%2Fb/c");
  });
});

describe("readHttpBindings", () => {
  it("reads every rule and additional binding of the contracts", () => {
    const bindings = readHttpBindings(contractServices);
    expect(bindings.map((b) => `${b.httpMethod} ${b.template.text}`)).toEqual([
      "GET /v1/models",
      "POST /v1/generate",
      "POST /v1/models/{model}:generate",
      "POST /v1/complete",
      "POST /v1/models/{model}:complete",
      "POST /v1/models/{model}:classify",
      "POST /v1/embeddings",
      "POST /v1/similarity",
      "GET /v1/embedding-models",
      "POST /v1/agents",
      "GET /v1/agents/{agent_id}",
      "GET /v1/agents",
      "DELETE /v1/agents/{agent_id}",
      "POST /v1/agents/{agent_id}:run",
      "POST /v1/agents/{agent_id}:runStream",
      "POST /v1/jobs",
      "GET /v1/jobs/{job_id}",
      "GET /v1/jobs/{job_id}:watch",
      "POST /v1/jobs/{job_id}:cancel",
      "GET /v1/jobs",
      "POST /v1/documents:split",
    ]);
    const create = bindings.find((b) => b.method.name === "CreateAgent");
    expect(create?.body).toMatchObject({ kind: "field", field: { name: "spec" } });
  });

  it("refuses two routes with the same shape and method at start-up", () => {
    const twice = readHttpBindings([LibraryService]);
    expect(() => new RouteTable([...twice, ...twice])).toThrow(
      "REST route conflict: GET /v1/{name=shelves/*/books/*} (test.rest.v1.Library.GetBook) overlaps /v1/{name=shelves/*/books/*} (test.rest.v1.Library.GetBook)",
    );
  });
});
