/** The figures the chat shows while tokens arrive, measured in the browser. */
export interface LiveFigures {
  /** Milliseconds from sending the request to the first token on screen; undefined until then. */
  readonly timeToFirstTokenMs: number | undefined;
  /** Tokens per second after the first one (the first token's wait is the TTFT); undefined until two arrive. */
  readonly tokensPerSecond: number | undefined;
  /** Tokens received so far. */
  readonly totalTokens: number;
}

/**
 * Accumulates the live figures of one token stream. Times are in milliseconds from any monotonic
 * clock (`performance.now()` in the page).
 *
 * @example
 *   const stats = new LiveStats(performance.now());
 *   for await (const res of stream) stats.record(res.tokenCount, performance.now());
 *   stats.figures(); // { timeToFirstTokenMs, tokensPerSecond, totalTokens }
 */
export class LiveStats {
  private firstAt: number | undefined;
  private lastAt: number | undefined;
  private firstChunkTokens = 0;
  private tokens = 0;

  constructor(private readonly startedAt: number) {}

  /** Records a response carrying `tokenCount` tokens that arrived at `at`. Empty responses are ignored. */
  record(tokenCount: number, at: number): void {
    if (tokenCount <= 0) return;
    if (this.firstAt === undefined) {
      this.firstAt = at;
      this.firstChunkTokens = tokenCount;
    }
    this.lastAt = at;
    this.tokens += tokenCount;
  }

  /** The figures so far. */
  figures(): LiveFigures {
    const ttft = this.firstAt === undefined ? undefined : this.firstAt - this.startedAt;
    const after = this.tokens - this.firstChunkTokens;
    const span = this.firstAt !== undefined && this.lastAt !== undefined ? this.lastAt - this.firstAt : 0;
    const rate = after > 0 && span > 0 ? (after * 1000) / span : undefined;
    return { timeToFirstTokenMs: ttft, tokensPerSecond: rate, totalTokens: this.tokens };
  }
}
