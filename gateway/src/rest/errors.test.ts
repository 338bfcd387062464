/**
 * Error mapping and bad input: the code → status table, upstream errors (with details) as
 * google.rpc.Status JSON, and every kind of malformed request answered with a precise 4xx while the server
 * keeps serving.
 */
import net from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { createRegistry } from "@bufbuild/protobuf";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { httpStatusFromCode, statusToJson } from "./errors.js";
import { contractServices, scriptedContracts } from "./testing/contract-services.js";
import { Recorder } from "./testing/recorder.js";
import { grpcTransportTo, startRest, startUpstream, type Started } from "./testing/servers.js";
import { postJson, request, type HttpResult } from "./testing/http-client.js";

describe("httpStatusFromCode", () => {
  it.each([
    [Code.InvalidArgument, 400],
    [Code.FailedPrecondition, 400],
    [Code.OutOfRange, 400],
    [Code.Unauthenticated, 401],
    [Code.PermissionDenied, 403],
    [Code.NotFound, 404],
    [Code.AlreadyExists, 409],
    [Code.Aborted, 409],
    [Code.ResourceExhausted, 429],
    [Code.Canceled, 499],
    [Code.Unknown, 500],
    [Code.Internal, 500],
    [Code.DataLoss, 500],
    [Code.Unimplemented, 501],
    [Code.Unavailable, 503],
    [Code.DeadlineExceeded, 504],
  ])("maps code %i to HTTP %i", (code, status) => {
    expect(httpStatusFromCode(code)).toBe(status);
  });
});

describe("statusToJson", () => {
  it("writes google.rpc.Status with details as Any JSON", () => {
    const err = new ConnectError("bad", Code.InvalidArgument);
    err.details.push({ type: "acme.v1.Unknown", value: new Uint8Array([1, 2]) });
    expect(statusToJson(err, createRegistry(file_buf_validate_validate))).toEqual({
      code: 3,
      message: "bad",
      details: [{ "@type": "type.googleapis.com/acme.v1.Unknown", value: "AQI=" }],
    });
  });
});

const recorder = new Recorder();
let upstream: Started;
let rest: Started;
let lenient: Started;

beforeAll(async () => {
  upstream = await startUpstream(
    scriptedContracts(recorder, {
      async *generate(req, ctx) {
        // Waits for cancellation: the deadline test sets a short grpc-timeout.
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
        yield { text: req.prompt };
      },
    }),
  );
  const transport = grpcTransportTo(upstream);
  rest = await startRest({ services: contractServices, transport, maxBodyBytes: 1024 });
  lenient = await startRest({ services: contractServices, transport, allowUnknownFields: true });
});
afterAll(async () => {
  await rest.close();
  await lenient.close();
  await upstream.close();
});
beforeEach(() => recorder.clear());

function expectStatus(r: HttpResult, status: number, code: Code, message: string) {
  expect(r.status).toBe(status);
  expect(r.headers["content-type"]).toBe("application/json");
  expect(r.json).toEqual({ code, message, details: [] });
}

describe("upstream errors", () => {
  it("maps FAILED_PRECONDITION to 400 with the upstream message", async () => {
    expectStatus(await postJson(rest.url, "/v1/complete", { prompt: "fail:model not loaded" }), 400, Code.FailedPrecondition, "model not loaded");
  });

  it("maps NOT_FOUND to 404 and ALREADY_EXISTS to 409", async () => {
    expectStatus(await request(rest.url, { path: "/v1/agents/missing" }), 404, Code.NotFound, "agent missing not found");
    expectStatus(await postJson(rest.url, "/v1/agents?agentId=taken", { displayName: "x", langchain: {} }), 409, Code.AlreadyExists, "agent taken already exists");
  });

  it("carries error details as Any JSON, known types decoded and unknown ones as bytes", async () => {
    const r = await postJson(rest.url, "/v1/complete", { prompt: "invalid:prompt too long" });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      code: 3,
      message: "prompt too long",
      details: [
        {
          "@type": "type.googleapis.com/buf.validate.Violations",
          violations: [{ ruleId: "string.max_len", message: "value length must be at most 128 characters" }],
        },
        { "@type": "type.googleapis.com/acme.v1.Unknown", value: "CAE=" },
      ],
    });
  });

  it("maps an expired deadline to 504", async () => {
    const r = await postJson(rest.url, "/v1/generate", { prompt: "slow" }, { "grpc-timeout": "200m" });
    expect(r.status).toBe(504);
    expect((r.json as { code: number }).code).toBe(Code.DeadlineExceeded);
    expect(recorder.only().timeoutMs).toBeLessThanOrEqual(200);
  });

  it("maps an unreachable upstream to 503", async () => {
    const port = await closedPort();
    const down = await startRest({ services: contractServices, transport: grpcTransportTo({ url: `http://127.0.0.1:${port}`, port, close: async () => {} }) });
    try {
      const r = await request(down.url, { path: "/v1/models" });
      expect(r.status).toBe(503);
      expect((r.json as { code: number }).code).toBe(Code.Unavailable);
    } finally {
      await down.close();
    }
  });
});

describe("bad input", () => {
  const cases: [string, () => Promise<HttpResult>, number, Code, string][] = [
    ["malformed JSON", () => rawPost("/v1/complete", '{"prompt": '), 400, Code.InvalidArgument, "malformed JSON in the request body: Unexpected end of JSON input"],
    ["a JSON array body", () => rawPost("/v1/complete", "[]"), 400, Code.InvalidArgument, "the request body must be a JSON object (agentos.model.v1.CompleteRequest), not an array"],
    ["a duplicate key", () => rawPost("/v1/complete", '{"prompt":"a","prompt":"b"}'), 400, Code.InvalidArgument, 'invalid request body: cannot decode message agentos.model.v1.CompleteRequest from JSON: duplicate object key "prompt"'],
    ["an unknown body field", () => postJson(rest.url, "/v1/complete", { prompt: "a", temprature: 1 }), 400, Code.InvalidArgument, 'invalid request body: cannot decode message agentos.model.v1.CompleteRequest from JSON: key "temprature" is unknown'],
    ["a wrong type", () => postJson(rest.url, "/v1/complete", { prompt: 5 }), 400, Code.InvalidArgument, "invalid request body: cannot decode field agentos.model.v1.CompleteRequest.prompt from JSON: expected string, got 5"],
    ["an out-of-range number", () => postJson(rest.url, "/v1/complete", { prompt: "a", sampling: { maxTokens: 4294967296 } }), 400, Code.InvalidArgument, "invalid request body: cannot decode field agentos.model.v1.SamplingParams.max_tokens from JSON: expected number (uint32): 4294967296 out of range"],
    ["a fractional integer", () => postJson(rest.url, "/v1/complete", { prompt: "a", sampling: { topK: 1.5 } }), 400, Code.InvalidArgument, "invalid request body: cannot decode field agentos.model.v1.SamplingParams.top_k from JSON: expected number (uint32), got 1.5"],
    ["an unknown enum name", () => postJson(rest.url, "/v1/complete", { messages: [{ role: "CHAT_ROLE_GOD", content: "x" }] }), 400, Code.InvalidArgument, 'invalid request body: cannot decode enum agentos.model.v1.ChatRole from JSON: "CHAT_ROLE_GOD"'],
    ["invalid UTF-8", () => request(rest.url, { method: "POST", path: "/v1/complete", headers: { "content-type": "application/json" }, body: Buffer.from([0x7b, 0xff, 0x7d]) }), 400, Code.InvalidArgument, "the request body is not valid UTF-8"],
    ["an unknown query parameter", () => request(rest.url, { path: "/v1/agents?pageSize=1&colour=red" }), 400, Code.InvalidArgument, 'unknown query parameter "colour" for agentos.agent.v1.ListAgentsRequest'],
    ["a query parameter of the wrong type", () => request(rest.url, { path: "/v1/agents?pageSize=ten" }), 400, Code.InvalidArgument, 'invalid value for query parameter "pageSize": expected a decimal integer, got "ten"'],
    ["a hexadecimal integer", () => request(rest.url, { path: "/v1/agents?pageSize=0x10" }), 400, Code.InvalidArgument, 'invalid value for query parameter "pageSize": expected a decimal integer, got "0x10"'],
    ["an integer out of range", () => request(rest.url, { path: "/v1/agents?pageSize=4294967296" }), 400, Code.InvalidArgument, 'invalid value for query parameter "pageSize": cannot decode field agentos.agent.v1.ListAgentsRequest.page_size from JSON: expected number (uint32): 4294967296 out of range'],
    ["a query parameter on a body-* method", () => postJson(rest.url, "/v1/complete?prompt=x", {}), 400, Code.InvalidArgument, 'query parameters are not accepted here (POST /v1/complete takes the whole request as its JSON body): "prompt"'],
    ["a body on a GET route", () => request(rest.url, { path: "/v1/models", headers: { "content-type": "application/json" }, body: "{}" }), 400, Code.InvalidArgument, "GET /v1/models takes no request body"],
    ["a path field also in the body", () => postJson(rest.url, "/v1/models/m1:complete", { model: "m2", prompt: "x" }), 400, Code.InvalidArgument, 'field "model" is bound by the URL path and the request body sets it to another value; leave it out of the body or send the same value'],
    ["%2F in a path parameter", () => request(rest.url, { path: "/v1/agents/a%2Fb" }), 400, Code.InvalidArgument, 'path parameter "agent_id" must not contain "/" (sent as %2F)'],
    ["a .. segment", () => request(rest.url, { path: "/v1/agents/../models" }), 400, Code.InvalidArgument, 'path segment ".." is not allowed'],
    ["an encoded .. segment", () => request(rest.url, { path: "/v1/agents/%2e%2E" }), 400, Code.InvalidArgument, 'path segment "%2e%2E" is not allowed'],
    ["a . segment", () => request(rest.url, { path: "/v1/./models" }), 400, Code.InvalidArgument, 'path segment "." is not allowed'],
    ["a malformed percent-encoding", () => request(rest.url, { path: "/v1/agents/a%zz" }), 400, Code.InvalidArgument, 'malformed percent-encoding in path segment "a%zz"'],
    ["an encoded control character", () => request(rest.url, { path: "/v1/agents/a%00b" }), 400, Code.InvalidArgument, 'path segment "a%00b" contains a control character'],
    ["a malformed grpc-timeout", () => request(rest.url, { path: "/v1/models", headers: { "grpc-timeout": "soon" } }), 400, Code.InvalidArgument, 'malformed grpc-timeout header "soon" (expected e.g. 5S or 250m)'],
    ["a wrong content type", () => request(rest.url, { method: "POST", path: "/v1/complete", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "prompt=x" }), 415, Code.InvalidArgument, 'unsupported content type "application/x-www-form-urlencoded"; send application/json (with curl: -H \'content-type: application/json\')'],
    ["a non-UTF-8 charset", () => request(rest.url, { method: "POST", path: "/v1/complete", headers: { "content-type": "application/json; charset=latin1" }, body: "{}" }), 415, Code.InvalidArgument, 'unsupported content type "application/json; charset=latin1"; send application/json'],
    ["an oversize body (Content-Length)", () => postJson(rest.url, "/v1/complete", { prompt: "x".repeat(2000) }), 413, Code.ResourceExhausted, "the request body exceeds the limit of 1024 bytes"],
    ["an oversize body (chunked)", () => chunkedPost("/v1/complete", '{"prompt":"' + "x".repeat(2000) + '"}'), 413, Code.ResourceExhausted, "the request body exceeds the limit of 1024 bytes"],
    ["a wrong method", () => request(rest.url, { method: "PUT", path: "/v1/models" }), 405, Code.Unimplemented, "PUT is not allowed on /v1/models; use GET"],
    ["an unknown path under /v1", () => request(rest.url, { path: "/v1/modelz" }), 404, Code.NotFound, "no REST route matches GET /v1/modelz"],
  ];

  it.each(cases)("answers %s with a precise 4xx, and keeps serving", async (_name, send, status, code, message) => {
    expectStatus(await send(), status, code, message);
    expect(recorder.calls).toHaveLength(0);
    const after = await request(rest.url, { path: "/v1/models" });
    expect(after.status).toBe(200);
  });

  it("sends Allow with a 405", async () => {
    const r = await request(rest.url, { method: "PATCH", path: "/v1/jobs/j1:cancel" });
    expect(r.headers["allow"]).toBe("POST");
  });

  it("accepts application/json with charset=utf-8 and +json types", async () => {
    for (const type of ["application/json; charset=utf-8", "application/merge-patch+json"]) {
      const r = await request(rest.url, { method: "POST", path: "/v1/complete", headers: { "content-type": type }, body: '{"prompt":"ok"}' });
      expect(r.status).toBe(200);
    }
  });

  it("ignores unknown fields and query parameters when configured to", async () => {
    const r = await postJson(lenient.url, "/v1/complete", { prompt: "a", temprature: 1 });
    expect(r.status).toBe(200);
    const q = await request(lenient.url, { path: "/v1/agents?pageSize=1&colour=red" });
    expect(q.status).toBe(200);
    expect(recorder.calls.map((c) => c.json)).toEqual([{ prompt: "a" }, { pageSize: 1 }]);
  });
});

function rawPost(path: string, body: string): Promise<HttpResult> {
  return request(rest.url, { method: "POST", path, headers: { "content-type": "application/json" }, body });
}

/** A POST with Transfer-Encoding: chunked (no Content-Length), written in pieces. */
function chunkedPost(path: string, body: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const socket = net.connect((rest as Started).port, "127.0.0.1", () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      for (let i = 0; i < body.length; i += 256) {
        const part = body.slice(i, i + 256);
        socket.write(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`);
      }
      socket.write("0\r\n\r\n");
    });
    let raw = "";
    socket.on("data", (d) => (raw += d.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", text = ""] = raw.split("\r\n\r\n");
      const status = Number(head.split(" ")[1]);
      const headers: Record<string, string> = {};
      for (const line of head.split("\r\n").slice(1)) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status, headers, text, json: JSON.parse(text) });
    });
  });
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
