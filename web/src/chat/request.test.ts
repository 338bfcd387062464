import { toBinary, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ChatRole, GenerateRequestSchema, type GenerateRequest } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { buildGenerateRequest, type SamplingForm, type Turn } from "./request.js";

const form = { model: "", maxTokens: "64", temperature: "0.2", topP: "0.9", seed: "42" };
const hi: Turn[] = [{ role: "user", text: "x" }];

/** The request built from `sampling`, which must be accepted. */
function sent(conversation: readonly Turn[], sampling: SamplingForm): GenerateRequest {
  const built = buildGenerateRequest(conversation, sampling);
  if (!built.ok) throw new Error(`refused: ${JSON.stringify(built.problems)}`);
  return built.request;
}

describe("buildGenerateRequest", () => {
  it("sends the conversation as chat messages with the sampling values", () => {
    const req = sent(
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
    const req = sent(hi, { model: "m", maxTokens: "", temperature: "", topP: " ", seed: "" });
    expect(req.model).toBe("m");
    expect(req.sampling?.maxTokens).toBe(0);
    expect(req.sampling?.temperature).toBeUndefined();
    expect(req.sampling?.topP).toBeUndefined();
    expect(req.sampling?.seed).toBeUndefined();
  });

  it("passes out-of-range values through for the server to reject", () => {
    expect(sent(hi, { ...form, temperature: "5" }).sampling?.temperature).toBe(5);
    expect(sent(hi, { ...form, topP: "-1" }).sampling?.topP).toBe(-1);
    expect(sent(hi, { ...form, maxTokens: "9000" }).sampling?.maxTokens).toBe(9000);
    expect(sent(hi, { ...form, maxTokens: "4294967295" }).sampling?.maxTokens).toBe(4294967295);
    expect(sent(hi, { ...form, maxTokens: "1e3" }).sampling?.maxTokens).toBe(1000);
    expect(sent(hi, { ...form, seed: "18446744073709551615" }).sampling?.seed).toBe(18446744073709551615n);
  });

  it("sends what it accepts in both encodings, unchanged", () => {
    for (const maxTokens of ["9000", "4294967295", "0"]) {
      const req = sent(hi, { ...form, maxTokens });
      expect(() => toBinary(GenerateRequestSchema, req)).not.toThrow();
      const json = toJson(GenerateRequestSchema, req) as { sampling?: { maxTokens?: number } };
      expect(json.sampling?.maxTokens ?? 0).toBe(Number(maxTokens));
    }
  });

  it("refuses values the request cannot carry instead of changing them", () => {
    const cases: [Partial<SamplingForm>, string, RegExp][] = [
      [{ maxTokens: "-5" }, "Max tokens", /"-5" is negative/],
      [{ maxTokens: "0.5" }, "Max tokens", /"0\.5" is not a whole number/],
      [{ maxTokens: "1e10" }, "Max tokens", /"1e10" is more than max_tokens can carry \(4294967295\)/],
      [{ maxTokens: "abc" }, "Max tokens", /"abc" is not a number/],
      [{ seed: "-3" }, "Seed", /"-3" is negative/],
      [{ seed: "2.5" }, "Seed", /not a whole number/],
      [{ seed: "18446744073709551616" }, "Seed", /more than seed can carry/],
      [{ temperature: "1e39" }, "Temperature", /beyond the range of temperature, a 32-bit float/],
      [{ topP: "1e-50" }, "Top-p", /too close to 0/],
      [{ topP: "Infinity" }, "Top-p", /not a number/],
    ];
    for (const [change, field, message] of cases) {
      const built = buildGenerateRequest(hi, { ...form, ...change });
      expect(built.ok, JSON.stringify(change)).toBe(false);
      if (built.ok) continue;
      expect(built.problems).toHaveLength(1);
      expect(built.problems[0]?.field).toBe(field);
      expect(built.problems[0]?.message).toMatch(message);
    }
  });

  it("reports every field it refuses at once", () => {
    const built = buildGenerateRequest(hi, { ...form, maxTokens: "-5", seed: "-3" });
    expect(built.ok ? [] : built.problems.map((p) => p.field)).toEqual(["Max tokens", "Seed"]);
  });
});
