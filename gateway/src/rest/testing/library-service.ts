/**
 * The implementation of the test-only Library service (library-descriptor.ts): answers from the request
 * alone and records every call.
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { Message } from "@bufbuild/protobuf";
import type { Recorder } from "./recorder.js";

type Fields = Record<string, unknown>;

/** Library's methods, for `router.service(LibraryService, library(recorder) as never)`. */
export function library(recorder: Recorder) {
  const rec = (req: Message, ctx: HandlerContext) => recorder.record(ctx.method.input, req, ctx);
  return {
    getBook: (req: Fields & Message, ctx: HandlerContext) => (rec(req, ctx), { name: req["name"], title: `Title of ${String(req["name"])}` }),
    getFile: (req: Fields & Message, ctx: HandlerContext) => (rec(req, ctx), { path: req["path"], content: new TextEncoder().encode(String(req["path"])) }),
    updateBook: (req: Fields & Message, ctx: HandlerContext) => (rec(req, ctx), req["book"]),
    getShelfTheme: (req: Fields & Message, ctx: HandlerContext) =>
      (rec(req, ctx), { name: req["shelfId"], theme: req["shelfId"] === "blank" ? "" : `theme of ${String(req["shelfId"])}` }),
    getBookTags: (req: Fields & Message, ctx: HandlerContext) => (rec(req, ctx), { tags: req["bookId"] === "untagged" ? [] : ["a", "b"] }),
    setRating: (req: Fields & Message, ctx: HandlerContext) => (rec(req, ctx), { name: req["bookId"], rating: req["rating"] }),
    searchBooks: (req: Fields & Message, ctx: HandlerContext) => (rec(req, ctx), { books: [{ name: "b1" }], total: 1 }),
    deleteBook: (req: Fields & Message, ctx: HandlerContext) => (rec(req, ctx), {}),
    purge: (req: Fields & Message, ctx: HandlerContext) => (rec(req, ctx), {}),
    async *streamTitles(req: Fields & Message, ctx: HandlerContext) {
      rec(req, ctx);
      for (let i = 1; i <= Number(req["limit"]); i++) yield { name: `b${i}`, title: `title ${i}` };
    },
  };
}

