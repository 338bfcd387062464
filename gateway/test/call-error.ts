/**
 * The error a call ends with, for tests that expect one: the ConnectError it failed with, or a thrown
 * "the call succeeded" when it did not fail.
 *
 * @example
 *   expect((await callError(client.complete({ prompt: "hi" }))).code).toBe(Code.Unavailable);
 */
import { ConnectError } from "@connectrpc/connect";

export async function callError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("the call succeeded");
}
