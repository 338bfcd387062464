/**
 * The OpenAPI 3.1 document of the REST API, generated from the same descriptors and `google.api.http`
 * annotations as the transcoder, with descriptions from the `.proto` doc comments.
 *
 * ```ts
 * const doc = buildOpenApiDocument({ services: [ModelService, AgentService] });
 * doc.paths["/v1/generate"].post.responses["200"].content["text/event-stream"];
 * ```
 */
export { buildOpenApiDocument, type OpenApiOptions } from "./document.js";
export { loadProtoComments, defaultProtoRoot, type ProtoComments } from "./comments.js";
