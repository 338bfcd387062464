/**
 * What REST transcoding costs: route matching, request decoding, and a whole REST call next to the same
 * call made directly over Connect and gRPC to the same upstream (so the difference is the REST hop).
 *
 *   node_modules/.bin/vitest bench --run gateway/src/rest/transcode.bench.ts
 */
import { afterAll, bench, describe } from "vitest";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ModelService } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { decodeRequest } from "./decode-request.js";
import { readHttpBindings } from "./http-rule.js";
import { RouteTable } from "./route-table.js";
import { contractServices, scriptedContracts } from "./testing/contract-services.js";
import { Recorder } from "./testing/recorder.js";
import { grpcTransportTo, startRest, startUpstream } from "./testing/servers.js";
import { registryFor } from "./type-registry.js";

const table = new RouteTable(readHttpBindings(contractServices));
const registry = registryFor(contractServices);
const body = new TextEncoder().encode(
  JSON.stringify({ prompt: "Write a haiku about service meshes.", sampling: { maxTokens: 64, temperature: 0.7, stop: ["\n\n"] }, stream: { maxTokensPerChunk: 1 } }),
);
const noQuery = new URLSearchParams();

describe("in process", () => {
  bench("match POST /v1/models/{model}:generate", () => {
    table.match("POST", "/v1/models/smollm2:generate");
  });
  bench("match GET /v1/jobs with 404 fallback", () => {
    try {
      table.match("GET", "/v1/jobs/j1/unknown");
    } catch {
      // 404
    }
  });
  bench("decode a GenerateRequest (body *, path variable)", () => {
    decodeRequest(table.match("POST", "/v1/models/smollm2:generate"), noQuery, body, { registry, allowUnknownFields: false });
  });
});

describe("unary Complete round trip, same upstream", async () => {
  const recorder = new Recorder();
  const upstream = await startUpstream(scriptedContracts(recorder));
  const rest = await startRest({ services: contractServices, transport: grpcTransportTo(upstream) });
  const connect: Client<typeof ModelService> = createClient(
    ModelService,
    createConnectTransport({ baseUrl: upstream.url, httpVersion: "2", useBinaryFormat: false }),
  );
  const grpc: Client<typeof ModelService> = createClient(ModelService, grpcTransportTo(upstream));
  afterAll(async () => {
    await rest.close();
    await upstream.close();
  });
  const input = { prompt: "hello there", sampling: { maxTokens: 16 } };
  const json = JSON.stringify(input);
  bench("REST (HTTP/1.1 keep-alive JSON → REST handler → gRPC upstream)", async () => {
    recorder.clear();
    const r = await fetch(`${rest.url}/v1/complete`, { method: "POST", headers: { "content-type": "application/json" }, body: json });
    if (r.status !== 200) throw new Error(`REST answered ${r.status}`);
    await r.text();
  });
  bench("Connect JSON (HTTP/2, direct to upstream)", async () => {
    recorder.clear();
    await connect.complete(input);
  });
  bench("gRPC (HTTP/2, direct to upstream)", async () => {
    recorder.clear();
    await grpc.complete(input);
  });
});
