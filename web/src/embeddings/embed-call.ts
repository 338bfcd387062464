import type { Client } from "@connectrpc/connect";
import type { EmbedResponse, EmbeddingService } from "../../../gen/ts/agentos/embedding/v1/embedding_pb.js";
import { describeError, isCancelled, type ErrorInfo } from "../api/errors.js";

/**
 * Deadline of an Embed call from the page. Twelve short texts take milliseconds on MiniLM; the margin
 * is for a busy machine. A gateway that accepts the call and never answers ends it with
 * DEADLINE_EXCEEDED instead of leaving the page waiting forever. The deadline also travels with the
 * call (`connect-timeout-ms`, `grpc-timeout`), so the gateway and the worker give up at the same time.
 */
export const embedTimeoutMs = 30_000;

/** How an Embed call ended. */
export type EmbedOutcome =
  | { readonly kind: "done"; readonly response: EmbedResponse; readonly elapsedMs: number }
  | { readonly kind: "cancelled" }
  | { readonly kind: "failed"; readonly error: ErrorInfo };

/** The cancel signal and deadline of one Embed call. */
export interface EmbedOptions {
  /** Aborting it cancels the call (the Cancel button). */
  readonly signal: AbortSignal;
  /** Deadline in milliseconds; {@link embedTimeoutMs} by default. */
  readonly timeoutMs?: number;
  /** Clock in milliseconds; `performance.now` by default. */
  readonly now?: () => number;
}

/**
 * Calls `EmbeddingService.Embed` with a deadline and a cancel signal, and tells how it ended. It never
 * throws: an error (including DEADLINE_EXCEEDED) becomes a "failed" outcome with its code, a cancel by
 * the signal a "cancelled" one.
 *
 * @example
 *   const outcome = await runEmbed(api.embedding, ["a cat", "a kitten"], { signal: ctl.signal });
 *   if (outcome.kind === "done") draw(outcome.response.embeddings);
 */
export async function runEmbed(
  embedding: Client<typeof EmbeddingService>,
  texts: readonly string[],
  options: EmbedOptions,
): Promise<EmbedOutcome> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  try {
    const response = await embedding.embed(
      { texts: [...texts] },
      { signal: options.signal, timeoutMs: options.timeoutMs ?? embedTimeoutMs },
    );
    return { kind: "done", response, elapsedMs: now() - started };
  } catch (err) {
    if (options.signal.aborted && isCancelled(err)) return { kind: "cancelled" };
    return { kind: "failed", error: describeError(err) };
  }
}
