/**
 * The REST conventions every operation shares, as the OpenAPI document's `info.description` (Markdown).
 */
export const conventions = `REST/JSON view of the AgentOS contracts, transcoded from their \`google.api.http\` annotations. The same
methods are served over Connect, gRPC and gRPC-Web on the same port.

**JSON.** Canonical proto3 JSON: lowerCamelCase field names (the .proto snake_case names are accepted too),
64-bit integers as strings, enums by name (numbers accepted), bytes as base64, Timestamp as RFC 3339,
Duration as \`"1.5s"\`. Fields left out take their defaults and defaults are left out of responses.
Unknown fields and unknown query parameters are rejected with 400 naming them.

**Query parameters** set the request fields that the path and the body leave free: dotted paths into
nested messages (\`sampling.maxTokens=64\`), repeated fields by repeating the parameter, map entries as
\`labels[key]=value\`. A method whose body is the whole request takes no query parameters.

**Deadlines.** \`grpc-timeout\` (e.g. \`30S\`) or \`connect-timeout-ms\`. **Metadata.** \`authorization\`,
\`x-api-key\`, trace context and \`grpc-metadata-<name>\` headers are forwarded; response metadata comes
back as \`grpc-metadata-<name>\` (and \`grpc-trailer-<name>\`) headers.

**Streams.** Server-streaming methods answer with Server-Sent Events when the request has
\`Accept: text/event-stream\`: one event per message (\`data:\` the message JSON), then \`event: end\` with
\`data: {}\` on success, or \`event: error\` with a google.rpc.Status as \`data\` on failure; idle streams get
\`: keep-alive\` comments. Any other Accept gets NDJSON (\`application/x-ndjson\`): one line
\`{"result": message}\` per message and, on failure, a last line \`{"error": status}\`. Once a stream has
started its HTTP status is 200, so the terminal event is where a later error is reported. Closing the
connection cancels the call upstream.

**Errors** are google.rpc.Status JSON (\`{"code", "message", "details"}\`, details as Any JSON) with the HTTP
status of the gRPC code: INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE 400; UNAUTHENTICATED 401;
PERMISSION_DENIED 403; NOT_FOUND 404; ALREADY_EXISTS, ABORTED 409; RESOURCE_EXHAUSTED 429; CANCELLED 499;
UNKNOWN, INTERNAL, DATA_LOSS 500; UNIMPLEMENTED 501; UNAVAILABLE 503; DEADLINE_EXCEEDED 504. The transcoder's
own errors: unknown path 404, wrong method 405 with \`Allow\`, body too large 413, body not JSON 415.`;
