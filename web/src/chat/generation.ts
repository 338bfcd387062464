import type { Client } from "@connectrpc/connect";
import {
  FinishReason,
  type GenerateRequest,
  type GenerationTiming,
  type ModelService,
  type Usage,
} from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { describeError, isCancelled, type ErrorInfo } from "../api/errors.js";
import { LiveStats, type LiveFigures } from "./live-stats.js";

/** How a generation ended. */
export type GenerationOutcome =
  | {
      readonly kind: "finished";
      readonly finishReason: FinishReason;
      readonly model: string;
      readonly usage: Usage | undefined;
      readonly timing: GenerationTiming | undefined;
      readonly figures: LiveFigures;
    }
  | { readonly kind: "stopped"; readonly figures: LiveFigures }
  | { readonly kind: "failed"; readonly error: ErrorInfo; readonly figures: LiveFigures };

/** Callbacks and the cancel signal of one generation. */
export interface GenerationHooks {
  /** Aborting it cancels the call; the gateway passes the cancellation to the worker. */
  readonly signal: AbortSignal;
  /** Called for every response that carries text, with the figures so far. */
  onText(text: string, figures: LiveFigures): void;
  /** Clock in milliseconds; `performance.now` by default. */
  readonly now?: () => number;
}

/**
 * Streams one Generate call, handing text to the page as it arrives, and tells how it ended. It never
 * throws: an error becomes a "failed" outcome with its code, a cancel by the signal a "stopped" one.
 *
 * @example
 *   const outcome = await runGeneration(api.model, request, { signal: ctl.signal, onText: show });
 */
export async function runGeneration(
  model: Client<typeof ModelService>,
  request: GenerateRequest,
  hooks: GenerationHooks,
): Promise<GenerationOutcome> {
  const now = hooks.now ?? (() => performance.now());
  const stats = new LiveStats(now());
  let last: { finishReason: FinishReason; model: string; usage?: Usage; timing?: GenerationTiming } | undefined;
  try {
    for await (const res of model.generate(request, { signal: hooks.signal })) {
      stats.record(res.tokenCount, now());
      if (res.text !== "") hooks.onText(res.text, stats.figures());
      if (res.finishReason !== FinishReason.UNSPECIFIED) {
        last = { finishReason: res.finishReason, model: res.model, usage: res.usage, timing: res.timing };
      }
    }
  } catch (err) {
    if (hooks.signal.aborted && isCancelled(err)) return { kind: "stopped", figures: stats.figures() };
    return { kind: "failed", error: describeError(err), figures: stats.figures() };
  }
  if (last === undefined) {
    return {
      kind: "failed",
      error: { code: "DATA_LOSS", message: "the stream ended without a final response (no finish reason)" },
      figures: stats.figures(),
    };
  }
  return { kind: "finished", ...last, usage: last.usage, timing: last.timing, figures: stats.figures() };
}
