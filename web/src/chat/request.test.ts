import { describe, expect, it } from "vitest";
import { ChatRole } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { buildGenerateRequest } from "./request.js";

const form = { model: "", maxTokens: "64", temperature: "0.2", topP: "0.9", seed: "42" };

describe("buildGenerateRequest", () => {
  it("sends the conversation as chat messages with the sampling values", () => {
    const req = buildGenerateRequest(
      [
        { role: "user", text: "Hi" },
        { role: "assistant", text: "Hello!" },
        { role: "user", text: "Count to three" },
      ],
      form,
    );
    expect(req.messages.map((m) => [m.role, m.content])).toEqual([
      [ChatRole.USER, "Hi"],
      [ChatRole.ASSISTANT, "Hello!"],
      [ChatRole.USER, "Count to three"],
    ]);
    expect(req.prompt).toBe("");
    expect(req.sampling?.maxTokens).toBe(64);
    expect(req.sampling?.temperature).toBeCloseTo(0.2);
    expect(req.sampling?.topP).toBeCloseTo(0.9);
    expect(req.sampling?.seed).toBe(42n);
  });

  it("leaves empty fields unset so the model's defaults apply", () => {
    const req = buildGenerateRequest([{ role: "user", text: "x" }], { model: "m", maxTokens: "", temperature: "", topP: " ", seed: "" });
    expect(req.model).toBe("m");
    expect(req.sampling?.maxTokens).toBe(0);
    expect(req.sampling?.temperature).toBeUndefined();
    expect(req.sampling?.topP).toBeUndefined();
    expect(req.sampling?.seed).toBeUndefined();
  });

  it("passes out-of-range values through for the server to reject", () => {
    const req = buildGenerateRequest([{ role: "user", text: "x" }], { ...form, temperature: "5" });
    expect(req.sampling?.temperature).toBe(5);
  });
});
