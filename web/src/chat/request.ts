import { create } from "@bufbuild/protobuf";
import {
  ChatRole,
  GenerateRequestSchema,
  type GenerateRequest,
} from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { maxUint32, maxUint64, readFloat, readUnsigned, type SamplingProblem } from "./sampling-values.js";

/** One turn of the conversation on screen. */
export interface Turn {
  readonly role: "user" | "assistant";
  readonly text: string;
}

/** The sampling controls as typed into the form: empty strings mean "the model's default". */
export interface SamplingForm {
  readonly model: string;
  readonly maxTokens: string;
  readonly temperature: string;
  readonly topP: string;
  readonly seed: string;
}

/** The request to send, or why the sampling fields cannot be sent as typed. */
export type BuiltRequest =
  | { readonly ok: true; readonly request: GenerateRequest }
  | { readonly ok: false; readonly problems: readonly SamplingProblem[] };

/**
 * Builds the Generate request for a conversation. Sampling values are never changed: a value its
 * protobuf field can carry is sent as typed, without clamping or rounding (the gateway and the worker
 * validate it, and the page shows their INVALID_ARGUMENT); one it cannot carry (max tokens -5 or 0.5,
 * seed -3, max tokens 1e10, text that is not a number) is refused with its problems, and nothing is
 * sent. See sampling-values.ts.
 *
 * @example
 *   const built = buildGenerateRequest([{ role: "user", text: "Hi" }], { model: "", maxTokens: "64",
 *     temperature: "", topP: "", seed: "7" });
 *   if (built.ok) send(built.request); else show(built.problems);
 */
export function buildGenerateRequest(conversation: readonly Turn[], form: SamplingForm): BuiltRequest {
  const maxTokens = readUnsigned("Max tokens", "max_tokens", form.maxTokens, maxUint32);
  const temperature = readFloat("Temperature", "temperature", form.temperature);
  const topP = readFloat("Top-p", "top_p", form.topP);
  const seed = readUnsigned("Seed", "seed", form.seed, maxUint64);
  if (!maxTokens.ok || !temperature.ok || !topP.ok || !seed.ok) {
    const problems = [maxTokens, temperature, topP, seed].flatMap((f) => (f.ok ? [] : [f.problem]));
    return { ok: false, problems };
  }
  const request = create(GenerateRequestSchema, {
    model: form.model,
    messages: conversation.map((turn) => ({
      role: turn.role === "user" ? ChatRole.USER : ChatRole.ASSISTANT,
      content: turn.text,
    })),
    sampling: {
      // An empty field leaves max_tokens at 0, which the contract defines as the model's default.
      maxTokens: maxTokens.value === undefined ? 0 : Number(maxTokens.value),
      temperature: temperature.value,
      topP: topP.value,
      seed: seed.value,
    },
  });
  return { ok: true, request };
}
