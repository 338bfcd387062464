import { describe, expect, it } from "vitest";
import { BoundedOutput } from "./output.js";

describe("BoundedOutput", () => {
  it("keeps the head and the tail and counts what it left out", () => {
    const out = new BoundedOutput(10, 5);
    for (const c of "0123456789abcdefghijklmnopqrstuvwxyz") out.push(c);
    expect(out.text()).toBe("0123456789\n[… 21 characters left out …]\nvwxyz");
    expect(out.tail()).toBe("vwxyz");
    expect(out.length).toBe(36);
  });

  it("keeps everything, unmarked, while it fits", () => {
    const out = new BoundedOutput(10, 5);
    out.push("0123456789ab");
    expect(out.text()).toBe("0123456789ab");
    expect(out.tail()).toBe("789ab");
  });
});
