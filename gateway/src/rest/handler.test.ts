/**
 * Golden cases for every REST route of the AgentOS contracts, through a real gRPC upstream (connect-node on
 * an ephemeral port, answering from the request alone and recording it): each asserts the exact upstream
 * request (message, metadata, deadline) and the exact HTTP response (status, headers, body bytes).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { contractServices, scriptedContracts } from "./testing/contract-services.js";
import { Recorder } from "./testing/recorder.js";
import { grpcTransportTo, startRest, startUpstream, type Started } from "./testing/servers.js";
import { openStream, request, type HttpRequest } from "./testing/http-client.js";

const recorder = new Recorder();
let upstream: Started;
let rest: Started & { declined: string[] };

beforeAll(async () => {
  upstream = await startUpstream(scriptedContracts(recorder));
  rest = await startRest({ services: contractServices, transport: grpcTransportTo(upstream) });
});
afterAll(async () => {
  await rest.close();
  await upstream.close();
});
beforeEach(() => recorder.clear());

const json = (body: unknown): Pick<HttpRequest, "headers" | "body"> => ({
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Sends `req`, then checks the one upstream call and the exact response body. */
async function golden(req: HttpRequest, upstreamRequest: { procedure: string; json: unknown }, status: number, body: unknown) {
  const r = await request(rest.url, req);
  const call = recorder.only();
  expect({ procedure: call.procedure, json: call.json }).toEqual(upstreamRequest);
  expect(call.protocol).toBe("grpc");
  expect(r.status).toBe(status);
  expect(r.headers["content-type"]).toBe("application/json");
  expect(r.text).toBe(JSON.stringify(body));
  return r;
}

describe("ModelService over REST", () => {
  it("GET /v1/models", async () => {
    await golden({ path: "/v1/models" }, { procedure: "/agentos.model.v1.ModelService/ListModels", json: {} }, 200, {
      models: [{ id: "scripted", kind: "MODEL_KIND_GENERATIVE", backend: "scripted", contextLength: 2048, ready: true, details: { replay: "words" } }],
      defaultModel: "scripted",
    });
  });

  it("POST /v1/complete (body *) with chat messages and sampling", async () => {
    const body = {
      messages: [{ role: "CHAT_ROLE_SYSTEM", content: "be brief" }, { role: 2, content: "hi" }],
      sampling: { maxTokens: 16, temperature: 0.5, stop: ["\n"], seed: "42" },
    };
    await golden(
      { method: "POST", path: "/v1/complete", ...json(body) },
      {
        procedure: "/agentos.model.v1.ModelService/Complete",
        json: {
          messages: [{ role: "CHAT_ROLE_SYSTEM", content: "be brief" }, { role: "CHAT_ROLE_USER", content: "hi" }],
          sampling: { maxTokens: 16, temperature: 0.5, stop: ["\n"], seed: "42" },
        },
      },
      200,
      { text: "echo: be brief / hi", finishReason: "FINISH_REASON_STOP", usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 }, model: "scripted" },
    );
  });

  it("POST /v1/models/{model}:complete (additional binding) takes the model from the path", async () => {
    const r = await golden(
      { method: "POST", path: "/v1/models/smol:v2:complete", ...json({ prompt: "hello" }) },
      { procedure: "/agentos.model.v1.ModelService/Complete", json: { model: "smol:v2", prompt: "hello" } },
      200,
      { text: "echo: hello", finishReason: "FINISH_REASON_STOP", usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 }, model: "smol:v2" },
    );
    expect(r.headers["grpc-metadata-x-served-by"]).toBe("scripted");
    expect(r.headers["grpc-trailer-x-tokens"]).toBe("7");
  });

  it("POST /v1/models/{model}:classify", async () => {
    await golden(
      { method: "POST", path: "/v1/models/clf-1:classify", ...json({ texts: ["tiny", "rather long"] }) },
      { procedure: "/agentos.model.v1.ModelService/Classify", json: { model: "clf-1", texts: ["tiny", "rather long"] } },
      200,
      {
        classifications: [
          { label: "short", score: 0.75, scores: { long: 0.25, short: 0.75 } },
          { label: "long", score: 0.75, scores: { long: 0.75, short: 0.25 } },
        ],
      },
    );
  });

  it("POST /v1/generate streams NDJSON by default", async () => {
    const s = await openStream(rest.url, { method: "POST", path: "/v1/generate", ...json({ prompt: "one two", stream: { maxTokensPerChunk: 1 } }) });
    expect(s.status).toBe(200);
    expect(s.headers["content-type"]).toBe("application/x-ndjson");
    expect(s.headers["cache-control"]).toBe("no-cache");
    expect(s.headers["x-accel-buffering"]).toBe("no");
    expect(await s.rest()).toBe(
      [
        '{"result":{"text":"one","tokenCount":1,"model":"scripted"}}',
        '{"result":{"text":" two","tokenCount":1}}',
        '{"result":{"finishReason":"FINISH_REASON_STOP","usage":{"promptTokens":2,"completionTokens":2,"totalTokens":4},' +
          '"timing":{"timeToFirstToken":"0.005s","generationTime":"0.020s","tokensPerSecond":50},"model":"scripted"}}',
        "",
      ].join("\n"),
    );
    expect(recorder.only().json).toEqual({ prompt: "one two", stream: { maxTokensPerChunk: 1 } });
  });

  it("POST /v1/models/{model}:generate streams SSE for Accept: text/event-stream", async () => {
    const s = await openStream(rest.url, {
      method: "POST",
      path: "/v1/models/m1:generate",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ prompt: "hi" }),
    });
    expect(s.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(await s.rest()).toBe(
      'data: {"text":"hi","tokenCount":1,"model":"m1"}\n\n' +
        'data: {"finishReason":"FINISH_REASON_STOP","usage":{"promptTokens":1,"completionTokens":1,"totalTokens":2},' +
        '"timing":{"timeToFirstToken":"0.005s","generationTime":"0.020s","tokensPerSecond":50},"model":"m1"}\n\n' +
        "event: end\ndata: {}\n\n",
    );
    expect(recorder.only().json).toEqual({ model: "m1", prompt: "hi" });
  });
});

describe("EmbeddingService and DocumentService over REST", () => {
  it("POST /v1/embeddings", async () => {
    await golden(
      { method: "POST", path: "/v1/embeddings", ...json({ texts: ["abc", "de"], skipNormalize: true }) },
      { procedure: "/agentos.embedding.v1.EmbeddingService/Embed", json: { texts: ["abc", "de"], skipNormalize: true } },
      200,
      { model: "minilm", dimensions: 2, embeddings: [{ values: [3, 0.5] }, { values: [2, 0.5] }], totalTokens: 2 },
    );
  });

  it("POST /v1/similarity", async () => {
    await golden(
      { method: "POST", path: "/v1/similarity", ...json({ query: "q", documents: ["a", "b"], topK: 2 }) },
      { procedure: "/agentos.embedding.v1.EmbeddingService/Similarity", json: { query: "q", documents: ["a", "b"], topK: 2 } },
      200,
      { model: "minilm", results: [{ score: 1 }, { index: 1, score: 0.5 }] },
    );
  });

  it("GET /v1/embedding-models", async () => {
    await golden({ path: "/v1/embedding-models" }, { procedure: "/agentos.embedding.v1.EmbeddingService/ListEmbeddingModels", json: {} }, 200, {
      models: [{ id: "minilm", dimensions: 384, maxSequenceLength: 256, ready: true }],
    });
  });

  it("POST /v1/documents:split (custom verb on a collection)", async () => {
    await golden(
      { method: "POST", path: "/v1/documents:split", ...json({ documents: [{ id: "d1", text: "alpha" }], splitter: { chunkSize: 100 } }) },
      {
        procedure: "/agentos.document.v1.DocumentService/SplitDocuments",
        json: { documents: [{ id: "d1", text: "alpha" }], splitter: { chunkSize: 100 } },
      },
      200,
      { chunks: [{ documentId: "d1", text: "alpha" }] },
    );
  });
});

describe("AgentService over REST", () => {
  const spec = { displayName: "Helper", model: "scripted", langchain: { systemPrompt: "You help." } };

  it("POST /v1/agents takes the spec as the body (body: spec) and agentId as a query parameter", async () => {
    await golden(
      { method: "POST", path: "/v1/agents?agentId=helper", ...json(spec) },
      { procedure: "/agentos.agent.v1.AgentService/CreateAgent", json: { agentId: "helper", spec } },
      200,
      { agent: { agentId: "helper", spec, framework: "FRAMEWORK_LANGCHAIN", createTime: "2025-01-02T03:04:05Z" } },
    );
  });

  it("GET /v1/agents/{agent_id}", async () => {
    await golden({ path: "/v1/agents/helper" }, { procedure: "/agentos.agent.v1.AgentService/GetAgent", json: { agentId: "helper" } }, 200, {
      agent: { agentId: "helper", framework: "FRAMEWORK_CREWAI", createTime: "2025-01-02T03:04:05Z" },
    });
  });

  it("GET /v1/agents with query parameters (enum by name, snake_case name)", async () => {
    await golden(
      { path: "/v1/agents?page_size=2&framework=FRAMEWORK_SWARMS&pageToken=abc" },
      { procedure: "/agentos.agent.v1.AgentService/ListAgents", json: { pageSize: 2, pageToken: "abc", framework: "FRAMEWORK_SWARMS" } },
      200,
      { agents: [{ agentId: "a1", framework: "FRAMEWORK_SWARMS" }], nextPageToken: "after-2" },
    );
  });

  it("DELETE /v1/agents/{agent_id}?allowMissing=true", async () => {
    await golden(
      { method: "DELETE", path: "/v1/agents/helper?allowMissing=true" },
      { procedure: "/agentos.agent.v1.AgentService/DeleteAgent", json: { agentId: "helper", allowMissing: true } },
      200,
      {},
    );
  });

  it("POST /v1/agents/{agent_id}:run", async () => {
    await golden(
      { method: "POST", path: "/v1/agents/helper:run", ...json({ input: "go", history: [{ role: "CHAT_ROLE_USER", content: "before" }] }) },
      {
        procedure: "/agentos.agent.v1.AgentService/Run",
        json: { agentId: "helper", input: "go", history: [{ role: "CHAT_ROLE_USER", content: "before" }] },
      },
      200,
      { runId: "run-1", output: "ran helper: go", usage: { totalTokens: 9 } },
    );
  });

  it("POST /v1/agents/{agent_id}:runStream streams run events", async () => {
    const s = await openStream(rest.url, {
      method: "POST",
      path: "/v1/agents/helper:runStream",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ input: "go", includeTokens: true }),
    });
    expect(await s.rest()).toBe(
      'data: {"runId":"run-2","event":{"sequence":"1","agent":"helper","step":{"name":"plan"}}}\n\n' +
        'data: {"runId":"run-2","event":{"sequence":"2","agent":"helper","final":{"output":"GO","modelCalls":1}}}\n\n' +
        "event: end\ndata: {}\n\n",
    );
    expect(recorder.only().json).toEqual({ agentId: "helper", input: "go", includeTokens: true });
  });
});

describe("JobService over REST", () => {
  it("POST /v1/jobs with a oneof spec and a map", async () => {
    const body = { jobId: "ft-1", spec: { fineTune: { outputModel: "clf", examples: [{ text: "a", label: "x" }] } }, labels: { team: "search" } };
    await golden(
      { method: "POST", path: "/v1/jobs", ...json(body) },
      { procedure: "/agentos.jobs.v1.JobService/SubmitJob", json: body },
      200,
      { job: { jobId: "ft-1", spec: body.spec, state: "JOB_STATE_QUEUED", labels: { team: "search" }, createTime: "2025-01-02T03:04:05Z" } },
    );
  });

  it("GET /v1/jobs/{job_id}", async () => {
    await golden({ path: "/v1/jobs/ft-1" }, { procedure: "/agentos.jobs.v1.JobService/GetJob", json: { jobId: "ft-1" } }, 200, {
      job: { jobId: "ft-1", state: "JOB_STATE_RUNNING", progress: { fraction: 0.5, stage: "train" }, attempts: 1 },
    });
  });

  it("POST /v1/jobs/{job_id}:cancel with an empty body", async () => {
    await golden({ method: "POST", path: "/v1/jobs/ft-1:cancel" }, { procedure: "/agentos.jobs.v1.JobService/CancelJob", json: { jobId: "ft-1" } }, 200, {
      job: { jobId: "ft-1", state: "JOB_STATE_CANCELLED" },
    });
  });

  it("GET /v1/jobs with a repeated enum by name and by number", async () => {
    await golden(
      { path: "/v1/jobs?states=JOB_STATE_RUNNING&states=3&pageSize=10" },
      { procedure: "/agentos.jobs.v1.JobService/ListJobs", json: { pageSize: 10, states: ["JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"] } },
      200,
      { jobs: [{ jobId: "j0", state: "JOB_STATE_RUNNING" }, { jobId: "j1", state: "JOB_STATE_SUCCEEDED" }] },
    );
  });

  it("GET /v1/jobs/{job_id}:watch streams NDJSON with a uint64 query parameter", async () => {
    const s = await openStream(rest.url, { path: "/v1/jobs/ft-1:watch?afterSequence=3" });
    expect(await s.rest()).toBe(
      '{"result":{"sequence":"4","time":"2025-01-02T03:04:05Z","state":"JOB_STATE_RUNNING","progress":{"fraction":0.5}}}\n' +
        '{"result":{"sequence":"5","time":"2025-01-02T03:04:06Z","state":"JOB_STATE_SUCCEEDED","job":{"jobId":"ft-1","state":"JOB_STATE_SUCCEEDED"}}}\n',
    );
    expect(recorder.only().json).toEqual({ jobId: "ft-1", afterSequence: "3" });
  });
});

describe("metadata and deadlines", () => {
  it("forwards credentials, trace context and grpc-metadata-* headers, and nothing else", async () => {
    await request(rest.url, {
      path: "/v1/models",
      headers: {
        authorization: "Bearer t0k",
        "x-api-key": "k1",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "grpc-metadata-x-tenant": "acme",
        cookie: "secret=1",
        "x-unlisted": "no",
      },
    });
    const h = recorder.only().header;
    expect(h.get("authorization")).toBe("Bearer t0k");
    expect(h.get("x-api-key")).toBe("k1");
    expect(h.get("traceparent")).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    expect(h.get("x-tenant")).toBe("acme");
    expect(h.get("cookie")).toBeNull();
    expect(h.get("x-unlisted")).toBeNull();
  });

  it("forwards a grpc-timeout deadline", async () => {
    await request(rest.url, { path: "/v1/models", headers: { "grpc-timeout": "20S" } });
    const t = recorder.only().timeoutMs;
    expect(t).toBeGreaterThan(10_000);
    expect(t).toBeLessThanOrEqual(20_000);
  });

  it("forwards a connect-timeout-ms deadline", async () => {
    await request(rest.url, { path: "/v1/models", headers: { "connect-timeout-ms": "15000" } });
    const t = recorder.only().timeoutMs;
    expect(t).toBeGreaterThan(5_000);
    expect(t).toBeLessThanOrEqual(15_000);
  });
});

describe("routing outside REST", () => {
  it("declines paths outside the REST prefixes so the gateway can serve them", async () => {
    const r = await request(rest.url, { path: "/agentos.model.v1.ModelService/ListModels" });
    expect(r.status).toBe(404);
    expect(r.text).toBe("not a REST path\n");
    expect(rest.declined).toContain("/agentos.model.v1.ModelService/ListModels");
  });

  it("answers an unknown path under /v1/ itself, with a google.rpc.Status 404", async () => {
    const r = await request(rest.url, { path: "/v1/nothing/here" });
    expect(r.status).toBe(404);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.json).toEqual({ code: 5, message: "no REST route matches GET /v1/nothing/here", details: [] });
  });

  it("answers OPTIONS on a known path with 204 and Allow", async () => {
    const r = await request(rest.url, { method: "OPTIONS", path: "/v1/agents/helper" });
    expect(r.status).toBe(204);
    expect(r.headers["allow"]).toBe("DELETE, GET");
  });
});
