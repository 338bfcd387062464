/** Splits the texts box into texts: one per non-empty line, trimmed. */
export function parseTexts(input: string): string[] {
  return input
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}
