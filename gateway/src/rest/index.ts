/**
 * REST/JSON transcoding for the gateway: routes from `google.api.http` annotations, SSE and NDJSON for
 * server streams, `google.rpc.Status` errors, and the OpenAPI document at `/openapi.json`.
 *
 * ```ts
 * const rest = createRestHandler({ services: [ModelService, AgentService, JobService], transport });
 * if (await rest(req, res)) return; // answered (including REST 404/405 under /v1/)
 * ```
 */
export { createRestHandler, type RestHandler, type RestHandlerOptions } from "./handler.js";
export { httpStatusFromCode, statusToJson, RestError } from "./errors.js";
export { readHttpBindings, type HttpBinding } from "./http-rule.js";
export { framingFor, type StreamFraming } from "./event-stream.js";
