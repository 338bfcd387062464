import { create } from "@bufbuild/protobuf";
import {
  ChatRole,
  GenerateRequestSchema,
  type GenerateRequest,
} from "../../../gen/ts/agentos/model/v1/model_pb.js";

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

function optionalNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

function optionalSeed(text: string): bigint | undefined {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? BigInt(trimmed) : undefined;
}

/**
 * Builds the Generate request for a conversation. Values are passed through as typed, without
 * clamping: the gateway and the worker validate them, and the page shows their INVALID_ARGUMENT.
 *
 * @example
 *   buildGenerateRequest([{ role: "user", text: "Hi" }], { model: "", maxTokens: "64", temperature: "",
 *     topP: "", seed: "7" });
 */
export function buildGenerateRequest(conversation: readonly Turn[], form: SamplingForm): GenerateRequest {
  const maxTokens = optionalNumber(form.maxTokens);
  return create(GenerateRequestSchema, {
    model: form.model,
    messages: conversation.map((turn) => ({
      role: turn.role === "user" ? ChatRole.USER : ChatRole.ASSISTANT,
      content: turn.text,
    })),
    sampling: {
      maxTokens: maxTokens === undefined ? 0 : Math.max(0, Math.trunc(maxTokens)),
      temperature: optionalNumber(form.temperature),
      topP: optionalNumber(form.topP),
      seed: optionalSeed(form.seed),
    },
  });
}
