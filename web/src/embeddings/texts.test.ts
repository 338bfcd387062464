import { describe, expect, it } from "vitest";
import { parseTexts } from "./texts.js";

describe("parseTexts", () => {
  it("takes one text per non-empty line, trimmed", () => {
    expect(parseTexts("  a cat \n\n a dog\r\n\t\n")).toEqual(["a cat", "a dog"]);
  });
});
