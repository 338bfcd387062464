/**
 * A test-only service, `test.rest.v1.Library`, built as a FileDescriptorProto at run time, covering the
 * google.api.http features the AgentOS contracts do not use: multi-segment variables with literals
 * (`{name=shelves/*\/books/*}`), `**`, a nested path field inside a single-field body (`{book.name=...}` with
 * `body: "book"`), a scalar single-field body, `response_body` (scalar, repeated, and on a stream), custom
 * HTTP methods, `additional_bindings` with a nested path field and `body: "*"`, and query parameters of
 * every kind (nested, repeated enums, well-known types, wrappers, maps, int64, bytes, bool, oneofs).
 */
import { create, createFileRegistry, setExtension, type DescFile, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
  MethodOptionsSchema,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
  type DescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { file_google_api_annotations, http } from "../../../../gen/ts/google/api/annotations_pb.js";
import type { HttpRuleSchema } from "../../../../gen/ts/google/api/http_pb.js";

interface FieldInit {
  name: string;
  number: number;
  type: Type;
  label: Label;
  jsonName: string;
  typeName?: string;
  oneofIndex?: number;
}
type MessageInit = Omit<MessageInitShape<typeof DescriptorProtoSchema>, "field" | "nestedType"> & {
  field: FieldInit[];
  nestedType?: MessageInit[];
};
type RuleInit = MessageInitShape<typeof HttpRuleSchema>;

const PKG = "test.rest.v1";

function f(name: string, number: number, type: Type, extra: Partial<FieldInit> = {}): FieldInit {
  const jsonName = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return { name, number, type, label: Label.OPTIONAL, jsonName, ...extra };
}
const msg = (name: string): Partial<FieldInit> => ({ typeName: name.startsWith(".") ? name : `.${PKG}.${name}` });
const repeated: Partial<FieldInit> = { label: Label.REPEATED };

const messages: MessageInit[] = [
  {
    name: "Book",
    field: [
      f("name", 1, Type.STRING),
      f("title", 2, Type.STRING),
      f("rating", 3, Type.INT32),
      f("publish_time", 4, Type.MESSAGE, msg(".google.protobuf.Timestamp")),
      f("tags", 5, Type.STRING, repeated),
    ],
  },
  { name: "Shelf", field: [f("name", 1, Type.STRING), f("theme", 2, Type.STRING)] },
  { name: "GetBookRequest", field: [f("name", 1, Type.STRING)] },
  { name: "GetFileRequest", field: [f("path", 1, Type.STRING), f("with_content", 2, Type.BOOL)] },
  { name: "File", field: [f("path", 1, Type.STRING), f("content", 2, Type.BYTES)] },
  {
    name: "UpdateBookRequest",
    field: [f("book", 1, Type.MESSAGE, msg("Book")), f("update_mask", 2, Type.MESSAGE, msg(".google.protobuf.FieldMask"))],
  },
  { name: "GetShelfRequest", field: [f("shelf_id", 1, Type.STRING)] },
  { name: "SetRatingRequest", field: [f("book_id", 1, Type.STRING), f("rating", 2, Type.INT32)] },
  { name: "BookRef", field: [f("book_id", 1, Type.STRING)] },
  { name: "PurgeRequest", field: [f("key", 1, Type.STRING)] },
  { name: "Range", field: [f("from", 1, Type.INT32), f("to", 2, Type.INT32)] },
  { name: "Filter", field: [f("author", 1, Type.STRING), f("year", 2, Type.MESSAGE, msg("Range"))] },
  {
    name: "SearchRequest",
    field: [
      f("query", 1, Type.STRING),
      f("filter", 2, Type.MESSAGE, msg("Filter")),
      f("genres", 3, Type.ENUM, { ...repeated, ...msg("Genre") }),
      f("since", 4, Type.MESSAGE, msg(".google.protobuf.Timestamp")),
      f("max_age", 5, Type.MESSAGE, msg(".google.protobuf.Duration")),
      f("min_rating", 6, Type.MESSAGE, msg(".google.protobuf.Int32Value")),
      f("labels", 7, Type.MESSAGE, { ...repeated, ...msg("SearchRequest.LabelsEntry") }),
      f("offset", 8, Type.INT64),
      f("exact", 9, Type.BOOL),
      f("cursor", 10, Type.BYTES),
      f("score", 11, Type.DOUBLE),
      f("order_by", 12, Type.STRING, { oneofIndex: 0 }),
      f("shuffle", 13, Type.BOOL, { oneofIndex: 0 }),
      f("genre", 14, Type.ENUM, msg("Genre")),
    ],
    oneofDecl: [{ name: "order" }],
    nestedType: [
      { name: "LabelsEntry", field: [f("key", 1, Type.STRING), f("value", 2, Type.STRING)], options: { mapEntry: true } },
    ],
  },
  { name: "SearchResponse", field: [f("books", 1, Type.MESSAGE, { ...repeated, ...msg("Book") }), f("total", 2, Type.INT32)] },
  { name: "StreamBooksRequest", field: [f("shelf_id", 1, Type.STRING), f("limit", 2, Type.INT32)] },
];

function method(name: string, input: string, output: string, rule: RuleInit, serverStreaming = false) {
  const options = create(MethodOptionsSchema);
  setExtension(options, http, rule as never);
  return {
    name,
    inputType: input.startsWith(".") ? input : `.${PKG}.${input}`,
    outputType: output.startsWith(".") ? output : `.${PKG}.${output}`,
    options,
    serverStreaming,
  };
}

const fileProto = create(FileDescriptorProtoSchema, {
  name: "test/rest/v1/library.proto",
  package: PKG,
  syntax: "proto3",
  dependency: [
    "google/api/annotations.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/wrappers.proto",
    "google/protobuf/empty.proto",
  ],
  messageType: messages as MessageInitShape<typeof DescriptorProtoSchema>[],
  enumType: [
    {
      name: "Genre",
      value: [
        { name: "GENRE_UNSPECIFIED", number: 0 },
        { name: "GENRE_FICTION", number: 1 },
        { name: "GENRE_SCIENCE", number: 2 },
      ],
    },
  ],
  service: [
    {
      name: "Library",
      method: [
        method("GetBook", "GetBookRequest", "Book", { pattern: { case: "get", value: "/v1/{name=shelves/*/books/*}" } }),
        method("GetFile", "GetFileRequest", "File", { pattern: { case: "get", value: "/v1/files/{path=**}" } }),
        method("UpdateBook", "UpdateBookRequest", "Book", {
          pattern: { case: "patch", value: "/v1/{book.name=shelves/*/books/*}" },
          body: "book",
        }),
        method("GetShelfTheme", "GetShelfRequest", "Shelf", {
          pattern: { case: "get", value: "/v1/shelves/{shelf_id}:theme" },
          responseBody: "theme",
        }),
        method("GetBookTags", "BookRef", "Book", {
          pattern: { case: "get", value: "/v1/books/{book_id}/tags" },
          responseBody: "tags",
        }),
        method("SetRating", "SetRatingRequest", "Book", { pattern: { case: "put", value: "/v1/books/{book_id}/rating" }, body: "rating" }),
        method("SearchBooks", "SearchRequest", "SearchResponse", {
          pattern: { case: "get", value: "/v1/books:search" },
          additionalBindings: [{ pattern: { case: "post", value: "/v1/authors/{filter.author}/books:search" }, body: "*" }],
        }),
        method("DeleteBook", "BookRef", ".google.protobuf.Empty", { pattern: { case: "delete", value: "/v1/books/{book_id}" } }),
        method("Purge", "PurgeRequest", ".google.protobuf.Empty", {
          pattern: { case: "custom", value: { kind: "PURGE", path: "/v1/cache/{key}" } },
        }),
        method(
          "StreamTitles",
          "StreamBooksRequest",
          "Book",
          { pattern: { case: "get", value: "/v1/shelves/{shelf_id}/books:stream" }, responseBody: "title" },
          true,
        ),
      ],
    },
  ],
});

const deps: Record<string, DescFile> = {
  "google/api/annotations.proto": file_google_api_annotations,
  "google/protobuf/timestamp.proto": file_google_protobuf_timestamp,
  "google/protobuf/duration.proto": file_google_protobuf_duration,
  "google/protobuf/field_mask.proto": file_google_protobuf_field_mask,
  "google/protobuf/wrappers.proto": file_google_protobuf_wrappers,
  "google/protobuf/empty.proto": file_google_protobuf_empty,
};

/** The registry holding the test file and its imports. */
export const libraryRegistry = createFileRegistry(fileProto, (name) => deps[name]);

/** The `test.rest.v1.Library` service. */
export const LibraryService: DescService = libraryRegistry.getService(`${PKG}.Library`) as DescService;

/** A message descriptor of the test file by short name. */
export function libraryMessage(name: string) {
  const m = libraryRegistry.getMessage(`${PKG}.${name}`);
  if (!m) throw new Error(`no message ${name}`);
  return m;
}
