/**
 * Golden cases for the google.api.http features the contracts do not use, on the test-only Library service
 * (testing/library-descriptor.ts) behind an in-memory router transport: each asserts the exact request the
 * service received and the exact HTTP response.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRouterTransport } from "@connectrpc/connect";
import { LibraryService, libraryRegistry } from "./testing/library-descriptor.js";
import { library } from "./testing/library-service.js";
import { Recorder } from "./testing/recorder.js";
import { startRest, type Started } from "./testing/servers.js";
import { openStream, postJson, request } from "./testing/http-client.js";

const recorder = new Recorder();
let rest: Started;

beforeAll(async () => {
  const transport = createRouterTransport((router) => router.service(LibraryService, library(recorder) as never));
  rest = await startRest({ services: [LibraryService], transport, registry: libraryRegistry });
});
afterAll(() => rest.close());
beforeEach(() => recorder.clear());

describe("path templates", () => {
  it("binds a multi-segment variable with literals ({name=shelves/*/books/*})", async () => {
    const r = await request(rest.url, { path: "/v1/shelves/s1/books/b2" });
    expect(recorder.only().json).toEqual({ name: "shelves/s1/books/b2" });
    expect(r.status).toBe(200);
    expect(r.text).toBe('{"name":"shelves/s1/books/b2","title":"Title of shelves/s1/books/b2"}');
  });

  it("binds ** to the rest of the path, keeping %2F encoded", async () => {
    const r = await request(rest.url, { path: "/v1/files/docs/a%2Fb/c%20d.txt?withContent=true" });
    expect(recorder.only().json).toEqual({ path: "docs/a%2Fb/c d.txt", withContent: true });
    expect(r.json).toEqual({ path: "docs/a%2Fb/c d.txt", content: Buffer.from("docs/a%2Fb/c d.txt").toString("base64") });
  });

  it("lets ** match zero segments", async () => {
    const r = await request(rest.url, { path: "/v1/files" });
    expect(recorder.only().json).toEqual({});
    expect(r.text).toBe("{}");
  });

  it("does not match a multi-segment variable when a literal differs", async () => {
    const r = await request(rest.url, { path: "/v1/shelves/s1/novels/b2" });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ code: 5, message: "no REST route matches GET /v1/shelves/s1/novels/b2", details: [] });
    expect(recorder.calls).toHaveLength(0);
  });

  it("serves a custom HTTP method and answers 405 with Allow for others", async () => {
    const ok = await request(rest.url, { method: "PURGE", path: "/v1/cache/k1" });
    expect(recorder.only().json).toEqual({ key: "k1" });
    expect([ok.status, ok.text]).toEqual([200, "{}"]);
    const wrong = await request(rest.url, { method: "GET", path: "/v1/cache/k1" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers["allow"]).toBe("PURGE");
  });
});

describe("bodies", () => {
  it("merges a nested path field into a single-field body (patch /v1/{book.name=...} body: book)", async () => {
    const r = await postJson(rest.url, "/v1/shelves/s1/books/b2?updateMask=title,rating", { title: "New", rating: 4 }, {}, "PATCH");
    expect(recorder.only().json).toEqual({ book: { name: "shelves/s1/books/b2", title: "New", rating: 4 }, updateMask: "title,rating" });
    expect(r.text).toBe('{"name":"shelves/s1/books/b2","title":"New","rating":4}');
  });

  it("accepts a body that repeats the path's value for a field the path binds (a resource sent back as read)", async () => {
    const r = await postJson(rest.url, "/v1/shelves/s1/books/b2", { name: "shelves/s1/books/b2", title: "New" }, {}, "PATCH");
    expect(r.status).toBe(200);
    expect(recorder.only().json).toEqual({ book: { name: "shelves/s1/books/b2", title: "New" } });
  });

  it("rejects a body that sets a field the path binds to another value", async () => {
    const r = await postJson(rest.url, "/v1/shelves/s1/books/b2", { name: "other" }, {}, "PATCH");
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 3, message: 'field "book.name" is bound by the URL path and the request body sets it to another value; leave it out of the body or send the same value', details: [] });
    expect(recorder.calls).toHaveLength(0);
  });

  it("rejects a query parameter inside the body field", async () => {
    const r = await request(rest.url, { method: "PATCH", path: "/v1/shelves/s1/books/b2?book.title=x" });
    expect(r.status).toBe(400);
    expect((r.json as { message: string }).message).toBe('query parameter "book.title" sets a field that is carried by the request body ("book")');
  });

  it("takes a scalar single-field body", async () => {
    const r = await request(rest.url, { method: "PUT", path: "/v1/books/b1/rating", headers: { "content-type": "application/json" }, body: "5" });
    expect(recorder.only().json).toEqual({ bookId: "b1", rating: 5 });
    expect(r.text).toBe('{"name":"b1","rating":5}');
  });

  it.each([
    ['"x"', 'invalid request body (field "rating"): cannot decode field test.rest.v1.SetRatingRequest.rating from JSON: expected number (int32), got "x"'],
    ["3000000000", 'invalid request body (field "rating"): cannot decode field test.rest.v1.SetRatingRequest.rating from JSON: expected number (int32): 3000000000 out of range'],
    ["5 6", "malformed JSON in the request body: Unexpected non-whitespace character after JSON at position 2"],
  ])("rejects the scalar body %s", async (body, message) => {
    const r = await request(rest.url, { method: "PUT", path: "/v1/books/b1/rating", headers: { "content-type": "application/json" }, body });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 3, message, details: [] });
  });

  it("takes body * minus a nested path field on an additional binding", async () => {
    const r = await postJson(rest.url, "/v1/authors/ann/books:search", { query: "q", filter: { year: { from: 1990 } } });
    expect(recorder.only().json).toEqual({ query: "q", filter: { author: "ann", year: { from: 1990 } } });
    expect(r.text).toBe('{"books":[{"name":"b1"}],"total":1}');
  });

  it("rejects query parameters when the body is *", async () => {
    const r = await postJson(rest.url, "/v1/authors/ann/books:search?query=q", {});
    expect(r.status).toBe(400);
    expect((r.json as { message: string }).message).toBe(
      'query parameters are not accepted here (POST /v1/authors/{filter.author}/books:search takes the whole request as its JSON body): "query"',
    );
  });
});

describe("response_body", () => {
  it("answers with one scalar field", async () => {
    const r = await request(rest.url, { path: "/v1/shelves/s9:theme" });
    expect(recorder.only().json).toEqual({ shelfId: "s9" });
    expect(r.text).toBe('"theme of s9"');
  });

  it("answers with the field's JSON default when it is unset", async () => {
    expect((await request(rest.url, { path: "/v1/shelves/blank:theme" })).text).toBe('""');
    expect((await request(rest.url, { path: "/v1/books/untagged/tags" })).text).toBe("[]");
  });

  it("answers with a repeated field", async () => {
    expect((await request(rest.url, { path: "/v1/books/b1/tags" })).text).toBe('["a","b"]');
  });

  it("applies to every message of a stream", async () => {
    const s = await openStream(rest.url, { path: "/v1/shelves/s1/books:stream?limit=3" });
    expect(s.headers["content-type"]).toBe("application/x-ndjson");
    expect(await s.rest()).toBe('{"result":"title 1"}\n{"result":"title 2"}\n{"result":"title 3"}\n');
    expect(recorder.only().json).toEqual({ shelfId: "s1", limit: 3 });
  });
});

describe("query parameters", () => {
  it("sets nested, repeated, enum, well-known, wrapper, map, int64, bytes, bool, double and oneof fields", async () => {
    const q = [
      "query=red%20fish",
      "filter.author=ann",
      "filter.year.from=1990",
      "filter.year.to=2000",
      "genres=GENRE_FICTION",
      "genres=2",
      "genre=1",
      "since=2024-05-01T10:00:00Z",
      "max_age=3600.5s",
      "minRating=3",
      "labels[lang]=en",
      "labels[form]=novel",
      "offset=9007199254740993",
      "exact=true",
      "cursor=AQID",
      "score=0.25",
      "order_by=title",
    ].join("&");
    const r = await request(rest.url, { path: `/v1/books:search?${q}` });
    expect(r.status).toBe(200);
    expect(recorder.only().json).toEqual({
      query: "red fish",
      filter: { author: "ann", year: { from: 1990, to: 2000 } },
      genres: ["GENRE_FICTION", "GENRE_SCIENCE"],
      genre: "GENRE_FICTION",
      since: "2024-05-01T10:00:00Z",
      maxAge: "3600.500s",
      minRating: 3,
      labels: { lang: "en", form: "novel" },
      offset: "9007199254740993",
      exact: true,
      cursor: "AQID",
      score: 0.25,
      orderBy: "title",
    });
  });

  it.each([
    ["nope=1", 'unknown query parameters "nope", "alsoNope" for test.rest.v1.SearchRequest', "nope=1&alsoNope=2"],
    ["query=a&query=b", 'query parameter "query" is given 2 times but is not repeated'],
    ["orderBy=title&shuffle=true", 'query parameter "shuffle" and another parameter set two members of oneof "order"'],
    ["filter=x", 'query parameter "filter" names a message field that cannot be given as text; set its fields instead, e.g. filter.<field>'],
    ["labels=x", 'unknown query parameter "labels" for test.rest.v1.SearchRequest'],
    ["exact=yes", 'invalid value for query parameter "exact": expected true or false, got "yes"'],
    ["filter.year.from=99999999999", 'invalid value for query parameter "filter.year.from": cannot decode field test.rest.v1.Range.from from JSON: expected number (int32): 99999999999 out of range'],
    ["genres=GENRE_POETRY", 'invalid value for query parameter "genres": cannot decode enum test.rest.v1.Genre from JSON: "GENRE_POETRY"'],
    ["since=yesterday", 'invalid value for query parameter "since": cannot decode message google.protobuf.Timestamp from JSON: invalid RFC 3339 string'],
    ["cursor=a+b", 'invalid value for query parameter "cursor": expected base64 (standard or URL-safe), got "a b"; send "+" as %2B in a query'],
    ["offset=0x10", 'invalid value for query parameter "offset": expected a decimal integer, got "0x10"'],
    ["minRating=2.5", 'invalid value for query parameter "minRating": expected a decimal integer, got "2.5"'],
  ])("rejects %s with 400", async (q, message, query = q) => {
    const r = await request(rest.url, { path: `/v1/books:search?${query}` });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 3, message, details: [] });
    expect(recorder.calls).toHaveLength(0);
  });

  it("rejects a query parameter that sets a path-bound field", async () => {
    const r = await request(rest.url, { method: "DELETE", path: "/v1/books/b1?bookId=b2" });
    expect(r.status).toBe(400);
    expect((r.json as { message: string }).message).toBe('query parameter "bookId" sets a field that is bound by the URL path ({book_id})');
  });
});
