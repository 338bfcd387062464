/**
 * Deterministic implementations of every public contract service for the REST tests, served over real
 * gRPC/Connect by {@link startUpstream}. Each call is recorded (see recorder.ts) and answered from its
 * request alone, so a test can assert both the exact upstream request and the exact HTTP response. Streams
 * can be scripted per test (`scripts.generate = ...`) to hold back messages, fail mid-stream, or wait for
 * cancellation.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  ModelService,
  ModelKind,
  FinishReason,
  type GenerateRequest,
  type CompleteRequest,
  GenerateRequestSchema,
  GenerateResponseSchema,
  ListModelsRequestSchema,
  CompleteRequestSchema,
  ClassifyRequestSchema,
} from "../../../../gen/ts/agentos/model/v1/model_pb.js";
import {
  AgentService,
  CreateAgentRequestSchema,
  GetAgentRequestSchema,
  ListAgentsRequestSchema,
  DeleteAgentRequestSchema,
  RunRequestSchema,
  RunStreamRequestSchema,
  RunStreamResponseSchema,
  type RunStreamRequest,
} from "../../../../gen/ts/agentos/agent/v1/agent_service_pb.js";
import { Framework } from "../../../../gen/ts/agentos/agent/v1/spec_pb.js";
import {
  JobService,
  JobState,
  SubmitJobRequestSchema,
  GetJobRequestSchema,
  WatchJobRequestSchema,
  WatchJobResponseSchema,
  CancelJobRequestSchema,
  ListJobsRequestSchema,
  type WatchJobRequest,
} from "../../../../gen/ts/agentos/jobs/v1/jobs_pb.js";
import { EmbeddingService, EmbedRequestSchema, SimilarityRequestSchema, ListEmbeddingModelsRequestSchema } from "../../../../gen/ts/agentos/embedding/v1/embedding_pb.js";
import { DocumentService, SplitDocumentsRequestSchema } from "../../../../gen/ts/agentos/document/v1/document_pb.js";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Recorder } from "./recorder.js";

type GenerateInit = MessageInitShape<typeof GenerateResponseSchema>;
type WatchInit = MessageInitShape<typeof WatchJobResponseSchema>;
type RunStreamInit = MessageInitShape<typeof RunStreamResponseSchema>;

/** Per-test overrides of the streaming methods. */
export interface StreamScripts {
  generate?: (req: GenerateRequest, ctx: HandlerContext) => AsyncIterable<GenerateInit>;
  watchJob?: (req: WatchJobRequest, ctx: HandlerContext) => AsyncIterable<WatchInit>;
  runStream?: (req: RunStreamRequest, ctx: HandlerContext) => AsyncIterable<RunStreamInit>;
  /** Runs before Complete answers (e.g. to hold the call open until it is cancelled). */
  beforeComplete?: (req: CompleteRequest, ctx: HandlerContext) => Promise<void>;
}

/** The public services of the contracts. */
export const contractServices = [ModelService, EmbeddingService, AgentService, JobService, DocumentService];

/** Fixed instant used in every answer that carries a time. */
export const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);

/** Generate's default script: one message per word of the prompt, then the finishing message. */
export async function* echoWords(req: GenerateRequest): AsyncIterable<GenerateInit> {
  const words = req.prompt.split(" ").filter((w) => w !== "");
  for (const [i, w] of words.entries()) yield { text: (i > 0 ? " " : "") + w, tokenCount: 1, ...(i === 0 ? { model: req.model || "scripted" } : {}) };
  yield {
    finishReason: FinishReason.STOP,
    usage: { promptTokens: words.length, completionTokens: words.length, totalTokens: 2 * words.length },
    timing: { timeToFirstToken: durationFromMs(5), generationTime: durationFromMs(20), tokensPerSecond: 50 },
    model: req.model || "scripted",
  };
}

/** Registers the scripted services on a router; every call is recorded in `recorder`. */
export function scriptedContracts(recorder: Recorder, scripts: StreamScripts = {}): (router: ConnectRouter) => void {
  return (router) => {
    router.service(ModelService, {
      listModels(req, ctx) {
        recorder.record(ListModelsRequestSchema, req, ctx);
        return {
          models: [{ id: "scripted", kind: ModelKind.GENERATIVE, backend: "scripted", contextLength: 2048, ready: true, details: { replay: "words" } }],
          defaultModel: "scripted",
        };
      },
      async *generate(req, ctx) {
        recorder.record(GenerateRequestSchema, req, ctx);
        yield* (scripts.generate ?? echoWords)(req, ctx);
      },
      async complete(req, ctx) {
        recorder.record(CompleteRequestSchema, req, ctx);
        await scripts.beforeComplete?.(req, ctx);
        if (req.prompt.startsWith("fail:")) throw new ConnectError(req.prompt.slice(5), Code.FailedPrecondition);
        if (req.prompt.startsWith("invalid:")) {
          const err = new ConnectError(req.prompt.slice(8), Code.InvalidArgument, undefined, [
            { desc: ViolationsSchema, value: { violations: [{ ruleId: "string.max_len", message: "value length must be at most 128 characters" }] } },
          ]);
          // A detail whose type the gateway does not know keeps its bytes.
          err.details.push({ type: "acme.v1.Unknown", value: new Uint8Array([8, 1]) });
          throw err;
        }
        ctx.responseHeader.set("x-served-by", "scripted");
        ctx.responseTrailer.set("x-tokens", "7");
        const text = `echo: ${req.prompt || req.messages.map((m) => m.content).join(" / ")}`;
        return { text, finishReason: FinishReason.STOP, usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 }, model: req.model || "scripted" };
      },
      classify(req, ctx) {
        recorder.record(ClassifyRequestSchema, req, ctx);
        return { classifications: req.texts.map((t) => ({ label: t.length > 5 ? "long" : "short", score: 0.75, scores: { long: t.length > 5 ? 0.75 : 0.25, short: t.length > 5 ? 0.25 : 0.75 } })) };
      },
    });
    router.service(EmbeddingService, {
      embed(req, ctx) {
        recorder.record(EmbedRequestSchema, req, ctx);
        return { model: req.model || "minilm", dimensions: 2, embeddings: req.texts.map((t) => ({ values: [t.length, 0.5] })), totalTokens: req.texts.length };
      },
      similarity(req, ctx) {
        recorder.record(SimilarityRequestSchema, req, ctx);
        return { model: "minilm", results: req.documents.map((_, i) => ({ index: i, score: 1 / (i + 1) })) };
      },
      listEmbeddingModels(req, ctx) {
        recorder.record(ListEmbeddingModelsRequestSchema, req, ctx);
        return { models: [{ id: "minilm", dimensions: 384, maxSequenceLength: 256, ready: true }] };
      },
    });
    router.service(AgentService, {
      createAgent(req, ctx) {
        recorder.record(CreateAgentRequestSchema, req, ctx);
        if (req.agentId === "taken") throw new ConnectError("agent taken already exists", Code.AlreadyExists);
        return { agent: { agentId: req.agentId || "agent-1", spec: req.spec, framework: Framework.LANGCHAIN, createTime: timestampFromMs(T0) } };
      },
      getAgent(req, ctx) {
        recorder.record(GetAgentRequestSchema, req, ctx);
        if (req.agentId === "missing") throw new ConnectError(`agent ${req.agentId} not found`, Code.NotFound);
        return { agent: { agentId: req.agentId, framework: Framework.CREWAI, createTime: timestampFromMs(T0) } };
      },
      listAgents(req, ctx) {
        recorder.record(ListAgentsRequestSchema, req, ctx);
        return { agents: [{ agentId: "a1", framework: req.framework }], nextPageToken: req.pageSize > 0 ? `after-${req.pageSize}` : "" };
      },
      deleteAgent(req, ctx) {
        recorder.record(DeleteAgentRequestSchema, req, ctx);
        return {};
      },
      run(req, ctx) {
        recorder.record(RunRequestSchema, req, ctx);
        return { runId: "run-1", output: `ran ${req.agentId}: ${req.input}`, usage: { totalTokens: 9 } };
      },
      async *runStream(req, ctx) {
        recorder.record(RunStreamRequestSchema, req, ctx);
        if (scripts.runStream) {
          yield* scripts.runStream(req, ctx);
          return;
        }
        yield { runId: "run-2", event: { sequence: 1n, agent: req.agentId, event: { case: "step", value: { name: "plan" } } } };
        yield { runId: "run-2", event: { sequence: 2n, agent: req.agentId, event: { case: "final", value: { output: req.input.toUpperCase(), modelCalls: 1 } } } };
      },
    });
    router.service(JobService, {
      submitJob(req, ctx) {
        recorder.record(SubmitJobRequestSchema, req, ctx);
        return { job: { jobId: req.jobId || "job-1", spec: req.spec, state: JobState.QUEUED, labels: req.labels, createTime: timestampFromMs(T0) } };
      },
      getJob(req, ctx) {
        recorder.record(GetJobRequestSchema, req, ctx);
        return { job: { jobId: req.jobId, state: JobState.RUNNING, progress: { fraction: 0.5, stage: "train" }, attempts: 1 } };
      },
      async *watchJob(req, ctx) {
        recorder.record(WatchJobRequestSchema, req, ctx);
        if (scripts.watchJob) {
          yield* scripts.watchJob(req, ctx);
          return;
        }
        yield { sequence: req.afterSequence + 1n, time: timestampFromMs(T0), state: JobState.RUNNING, progress: { fraction: 0.5 } };
        yield { sequence: req.afterSequence + 2n, time: timestampFromMs(T0 + 1000), state: JobState.SUCCEEDED, job: { jobId: req.jobId, state: JobState.SUCCEEDED } };
      },
      cancelJob(req, ctx) {
        recorder.record(CancelJobRequestSchema, req, ctx);
        return { job: { jobId: req.jobId, state: JobState.CANCELLED } };
      },
      listJobs(req, ctx) {
        recorder.record(ListJobsRequestSchema, req, ctx);
        return { jobs: req.states.map((s, i) => ({ jobId: `j${i}`, state: s })), nextPageToken: "" };
      },
    });
    router.service(DocumentService, {
      splitDocuments(req, ctx) {
        recorder.record(SplitDocumentsRequestSchema, req, ctx);
        return {
          chunks: req.documents.map((d, i) => ({
            documentId: d.id,
            documentIndex: i,
            text: d.source.case === "text" ? d.source.value : "",
          })),
        };
      },
    });
  };
}

/** A GenerateRequest built from JSON-ish init, for tests that compare messages. */
export function generateRequest(init: MessageInitShape<typeof GenerateRequestSchema>) {
  return create(GenerateRequestSchema, init);
}
