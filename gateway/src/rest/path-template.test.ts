import { describe, expect, it } from "vitest";
import { parsePathTemplate } from "./path-template.js";

describe("parsePathTemplate", () => {
  it("parses literals and a simple variable", () => {
    expect(parsePathTemplate("/v1/agents/{agent_id}")).toEqual({
      text: "/v1/agents/{agent_id}",
      segments: [{ kind: "literal", value: "v1" }, { kind: "literal", value: "agents" }, { kind: "single" }],
      variables: [{ fieldPath: ["agent_id"], start: 2, end: 3 }],
      verb: "",
    });
  });

  it("parses a custom verb after a variable and after a literal", () => {
    expect(parsePathTemplate("/v1/models/{model}:generate").verb).toBe("generate");
    const t = parsePathTemplate("/v1/documents:split");
    expect(t.verb).toBe("split");
    expect(t.segments).toEqual([{ kind: "literal", value: "v1" }, { kind: "literal", value: "documents" }]);
  });

  it("parses a variable with nested field path and a multi-segment pattern", () => {
    const t = parsePathTemplate("/v1/{book.name=shelves/*/books/*}:archive");
    expect(t.segments).toEqual([
      { kind: "literal", value: "v1" },
      { kind: "literal", value: "shelves" },
      { kind: "single" },
      { kind: "literal", value: "books" },
      { kind: "single" },
    ]);
    expect(t.variables).toEqual([{ fieldPath: ["book", "name"], start: 1, end: 5 }]);
    expect(t.verb).toBe("archive");
  });

  it("parses ** as the last segment, inside or outside a variable", () => {
    expect(parsePathTemplate("/v1/files/{path=**}").segments.at(-1)).toEqual({ kind: "multi" });
    expect(parsePathTemplate("/v1/raw/**").segments.at(-1)).toEqual({ kind: "multi" });
  });

  it.each([
    ["v1/models", "must start with '/'"],
    ["/v1/**/x", "'**' must be the last segment"],
    ["/v1/{a}/{a}", 'variable "a" appears twice'],
    ["/v1/{a={b}}", "variables cannot nest"],
    ["/v1/{a", "unclosed"],
    ["/v1//x", "empty segment"],
    ["/v1/{a-b}", "bad field path"],
    ["/v1/x:", "bad verb"],
  ])("rejects %s", (text, why) => {
    expect(() => parsePathTemplate(text)).toThrow(why);
  });
});
