/** Everything a benchmark run can be told; `FULL` and `QUICK` are the two presets. */
export interface BenchOptions {
  /** Quick mode: one short repetition, only to prove that both stacks answer correctly. */
  quick: boolean;
  reps: number;
  /** Closed-loop and fixed-rate measurement time per run, and the warm-up before it. */
  durationS: number;
  warmupS: number;
  /** Unary calls in flight during closed-loop runs. */
  inFlight: number;
  /** Fixed rate of the light-load latency run (calls/s). */
  lightRate: number;
  /** Embedding batches in flight during closed-loop runs. */
  embedInFlight: number;
  /** Paced 256-token streams: the synthetic rate (tokens/s), streams per run and at once. */
  streamRate: number;
  streams: number;
  streamConcurrency: number;
  /** Unpaced streams: concurrency and time per run. */
  maxStreamConcurrency: number;
  maxStreamDurationS: number;
  /** Many concurrent streams: how many, how many tokens each, at what rate each, started over how long. */
  manyStreams: number;
  manyMaxTokens: number;
  manyRate: number;
  manyRampMs: number;
  /** Calls (streams) per variant in the bytes-on-the-wire pass. */
  wireCalls: number;
  wireStreams: number;
  /** Also compare the real all-MiniLM-L6-v2 on both sides (the user-visible embeddings figure). */
  realEmbedding: boolean;
  realEmbeddingDurationS: number;
}

export const FULL: BenchOptions = {
  quick: false,
  reps: 3,
  durationS: 8,
  warmupS: 2,
  inFlight: 32,
  lightRate: 100,
  embedInFlight: 16,
  streamRate: 100,
  streams: 24,
  streamConcurrency: 8,
  maxStreamConcurrency: 4,
  maxStreamDurationS: 6,
  manyStreams: 1000,
  manyMaxTokens: 64,
  manyRate: 5,
  manyRampMs: 2000,
  wireCalls: 1000,
  wireStreams: 8,
  realEmbedding: true,
  realEmbeddingDurationS: 8,
};

export const QUICK: BenchOptions = {
  quick: true,
  reps: 1,
  durationS: 0.5,
  warmupS: 0.25,
  inFlight: 8,
  lightRate: 50,
  embedInFlight: 4,
  streamRate: 1000,
  streams: 4,
  streamConcurrency: 2,
  maxStreamConcurrency: 2,
  maxStreamDurationS: 0.5,
  manyStreams: 50,
  manyMaxTokens: 32,
  manyRate: 200,
  manyRampMs: 200,
  wireCalls: 50,
  wireStreams: 2,
  realEmbedding: false,
  realEmbeddingDurationS: 0,
};
