/**
 * What the scripted model worker says in the browser tests, and the texts the embedding tests compare.
 * The answers are replayed word by word through the real gRPC path (workers/model/backends/scripted.py).
 */

/** The answer to any prompt that mentions "worker mesh": 52 words, 40 ms apart. */
export const meshAnswer =
  "The worker mesh puts Python AI workers behind one typed gateway: every API is a Protobuf contract, " +
  "served as Connect, gRPC, gRPC-Web and REST/JSON on a single port. Tokens stream from the model worker " +
  "through the gateway to this page as they are produced, and Stop cancels the generation on the worker.";

/** The prompt that gets {@link meshAnswer}. */
export const meshPrompt = "Explain the worker mesh in two sentences.";

/** A prompt whose answer is long and slow (300 words, 100 ms apart): there to be stopped. */
export const longPrompt = "Tell me a long story about the ocean.";

const storyWords = (
  "Far out at sea, where the water turns from green to a deep and patient blue, an old lighthouse keeper " +
  "counted the waves each night and wrote their names in a book that no one else would ever read. "
).split(" ").filter((w) => w !== "");
const longAnswer = Array.from({ length: 300 }, (_, i) => storyWords[i % storyWords.length]).join(" ");

/** The model worker's script (the scripted backend's JSON format). */
export const modelScript = {
  responses: [
    { match: "worker mesh", text: meshAnswer, token_delay_ms: 40, prompt_tokens: 18 },
    { match: "long story", text: longAnswer, token_delay_ms: 100, prompt_tokens: 9 },
  ],
};

/** Two pairs of paraphrases on unrelated topics: similar within a pair, dissimilar across. */
export const pairedTexts = [
  "The cat sleeps on the warm windowsill.",
  "A kitten naps in the sun by the window.",
  "Stock markets fell sharply after the rate decision.",
  "Investors sold shares when interest rates went up.",
];
