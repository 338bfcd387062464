/**
 * Reads the sampling fields as typed into the values of `SamplingParams`, never changing a value:
 *
 * - a value the field's protobuf type can carry is sent as typed, even out of the API's range (max
 *   tokens 9000, temperature 5): the gateway validates it and the page shows its INVALID_ARGUMENT;
 * - a value the type cannot carry is refused here, before anything is sent, with a message naming the
 *   field: text that is not a number, a negative or fractional max tokens or seed (unsigned integers),
 *   a max tokens above 4294967295 (uint32) or a seed above 2^64 − 1 (uint64), a temperature or top-p
 *   beyond the range of a 32-bit float (or so close to 0 that it would be sent as 0).
 *
 * Rounding, clamping or dropping such a value instead would send a different request from the one on
 * screen (max tokens −5 sent as 0 is the model's default; seed −3 dropped is a random seed).
 */

/** A number field that was typed but cannot be sent. */
export interface SamplingProblem {
  /** The field's label as on screen, e.g. "Max tokens". */
  readonly field: string;
  /** What is wrong, naming the typed text, e.g. `"-5" is negative: max_tokens is an unsigned integer`. */
  readonly message: string;
}

/** A field read: its value (undefined when the field is empty) or why it cannot be sent. */
export type FieldValue<T> = { readonly ok: true; readonly value: T | undefined } | { readonly ok: false; readonly problem: SamplingProblem };

const decimal = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The largest value of a uint32 field (max_tokens). */
export const maxUint32 = 2n ** 32n - 1n;
/** The largest value of a uint64 field (seed). */
export const maxUint64 = 2n ** 64n - 1n;

/**
 * Reads an unsigned integer field (`uint32`, `uint64`) of at most `max`. Decimal and exponent notation
 * are accepted when they denote a whole number ("1e3" is 1000).
 *
 * @example
 *   readUnsigned("Max tokens", "max_tokens", " 64 ", maxUint32); // { ok: true, value: 64n }
 *   readUnsigned("Seed", "seed", "-3", maxUint64).ok;            // false: "-3" is negative
 */
export function readUnsigned(field: string, protoName: string, text: string, max: bigint): FieldValue<bigint> {
  const typed = text.trim();
  if (typed === "") return { ok: true, value: undefined };
  const fail = (why: string): FieldValue<bigint> => ({ ok: false, problem: { field, message: `"${typed}" ${why}` } });
  if (!decimal.test(typed)) return fail("is not a number");
  let value: bigint;
  if (/^[+-]?\d+$/.test(typed)) {
    value = BigInt(typed);
  } else {
    const n = Number(typed);
    if (!Number.isInteger(n)) return fail(`is not a whole number: ${protoName} is an integer`);
    if (!Number.isSafeInteger(n)) return fail(`is too large to read exactly: write it in digits`);
    value = BigInt(n);
  }
  if (value < 0n) return fail(`is negative: ${protoName} is an unsigned integer`);
  if (value > max) return fail(`is more than ${protoName} can carry (${max})`);
  return { ok: true, value };
}

/**
 * Reads a `float` field: any decimal number a 32-bit float can hold (the server checks its range).
 *
 * @example
 *   readFloat("Temperature", "temperature", "0.7"); // { ok: true, value: 0.7 }
 *   readFloat("Temperature", "temperature", "warm").ok; // false: not a number
 */
export function readFloat(field: string, protoName: string, text: string): FieldValue<number> {
  const typed = text.trim();
  if (typed === "") return { ok: true, value: undefined };
  const fail = (why: string): FieldValue<number> => ({ ok: false, problem: { field, message: `"${typed}" ${why}` } });
  if (!decimal.test(typed)) return fail("is not a number");
  const value = Number(typed);
  if (!Number.isFinite(Math.fround(value))) return fail(`is beyond the range of ${protoName}, a 32-bit float`);
  if (value !== 0 && Math.fround(value) === 0) return fail(`is too close to 0 for ${protoName}, a 32-bit float: it would be sent as 0`);
  return { ok: true, value };
}
