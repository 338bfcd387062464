import type { Page } from "playwright-core";

/** One heatmap cell as rendered: the full value kept in data-value and the printed number. */
export interface HeatCell {
  readonly value: number;
  readonly text: string;
}

/** What the test saw while an answer streamed. */
export interface StreamObservation {
  /** Text on screen the first time any appeared, while the chat was still streaming. */
  readonly firstVisible: string;
  /** Text when the stream ended. */
  readonly final: string;
  /** How the chat ended: done, stopped, error. */
  readonly state: string;
}

/**
 * Drives the playground the way a user does (typing, clicking) and reads what is on screen. Selectors
 * are the data-testid attributes of web/src.
 */
export class PlaygroundPage {
  constructor(readonly page: Page) {}

  /** Opens the page and waits for the start-up status checks (ListModels, ListEmbeddingModels) to end. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.waitForFunction(() =>
      ["model", "embedding"].every((s) => {
        const status = document.querySelector(`[data-testid=status-${s}]`)?.getAttribute("data-status");
        return status === "up" || status === "down";
      }),
    );
  }

  /** data-status of a service pill: up, down or checking. */
  async status(service: "model" | "embedding"): Promise<string | null> {
    return this.page.getAttribute(`[data-testid=status-${service}]`, "data-status");
  }

  /** Picks a transport in the header switch and waits for the status checks it triggers. */
  async useTransport(kind: "connect-json" | "connect-binary" | "grpc-web"): Promise<void> {
    await this.page.selectOption("[data-testid=transport]", kind);
    await this.page.waitForFunction(
      (k) => document.getElementById("app")?.dataset.transport === k &&
        !document.querySelector("[data-testid^=status-][data-status=checking]"),
      kind,
    );
  }

  /** Sets a sampling control (max-tokens, temperature, top-p, seed). */
  async setSampling(name: "max-tokens" | "temperature" | "top-p" | "seed", value: string): Promise<void> {
    await this.page.fill(`[data-testid=${name}]`, value);
  }

  /** Types a prompt and presses Enter, without waiting for anything (the page may refuse to send it). */
  async submit(prompt: string): Promise<void> {
    await this.page.click("[data-testid=tab-chat]");
    await this.page.fill("[data-testid=prompt]", prompt);
    await this.page.press("[data-testid=prompt]", "Enter");
  }

  /** The messages shown under the sampling fields for values that were not sent (none: empty). */
  async samplingProblems(): Promise<string[]> {
    return this.page.$$eval("[data-testid=sampling-problems]:not([hidden]) [data-testid=error]", (els) => els.map((e) => e.textContent ?? ""));
  }

  /** The notice shown when the page's calls go to another origin (?api=), or null when there is none. */
  async apiNotice(): Promise<string | null> {
    const notice = this.page.locator("[data-testid=api-notice]");
    return (await notice.count()) > 0 && (await notice.isVisible()) ? await notice.textContent() : null;
  }

  /** Waits until both status pills show `status` (after a refresh the page started by itself). */
  async waitForStatus(status: "up" | "down", timeoutMs = 30_000): Promise<void> {
    await this.page.waitForFunction(
      (s) => ["model", "embedding"].every((n) => document.querySelector(`[data-testid=status-${n}]`)?.getAttribute("data-status") === s),
      status,
      { timeout: timeoutMs },
    );
  }

  /** Types a prompt and presses Enter; resolves once the call has started streaming (or failed at once). */
  async send(prompt: string): Promise<void> {
    await this.submit(prompt);
    await this.page.waitForSelector("[data-testid=answer]", { state: "attached" });
  }

  /**
   * Watches the answer of the current call: records the text the first time any is visible while the
   * chat is still streaming, then waits for the end of the stream.
   */
  async watchStream(timeoutMs = 60_000): Promise<StreamObservation> {
    const first = await this.page.waitForFunction(
      () => {
        const state = document.querySelector("[data-testid=chat]")?.getAttribute("data-state");
        const text = document.querySelector("[data-testid=answer]")?.textContent ?? "";
        if (state !== "streaming") return { text: "", ended: state ?? "?" };
        return text.length > 0 ? { text, ended: "" } : false;
      },
      undefined,
      { timeout: timeoutMs, polling: "raf" },
    );
    const seen = (await first.jsonValue()) as { text: string; ended: string };
    if (seen.ended !== "") throw new Error(`the stream ended (${seen.ended}) before any text was visible`);
    const state = await this.waitForEnd(timeoutMs);
    return { firstVisible: seen.text, final: await this.answer(), state };
  }

  /** Waits until the chat is no longer streaming and returns its state. */
  async waitForEnd(timeoutMs = 60_000): Promise<string> {
    await this.page.waitForSelector("[data-testid=chat]:not([data-state=streaming])", { timeout: timeoutMs });
    return (await this.page.getAttribute("[data-testid=chat]", "data-state")) ?? "";
  }

  /** Waits until at least `tokens` tokens have arrived (the live token figure). */
  async waitForTokens(tokens: number): Promise<void> {
    await this.page.waitForFunction(
      (n) => Number(document.querySelector("[data-testid=total-tokens]")?.textContent) >= n,
      tokens,
    );
  }

  /** Clicks Stop. */
  async stop(): Promise<void> {
    await this.page.click("[data-testid=stop]");
  }

  /** The text of the current answer. */
  async answer(): Promise<string> {
    return (await this.page.textContent("[data-testid=answer]")) ?? "";
  }

  /** A live figure by test id (ttft, tokens-per-second, total-tokens, finish) as shown. */
  async figure(name: "ttft" | "tokens-per-second" | "total-tokens" | "finish"): Promise<string> {
    return ((await this.page.textContent(`[data-testid=${name}]`)) ?? "").trim();
  }

  /** Code and message of the error shown in the current answer. */
  async answerError(): Promise<{ code: string | null; text: string }> {
    const el = this.page.locator("[data-testid=transcript] .bubble.failed [data-testid=error]").last();
    return { code: await el.getAttribute("data-code"), text: (await el.textContent()) ?? "" };
  }

  /** Clears the conversation. */
  async clear(): Promise<void> {
    await this.page.click("[data-testid=clear]");
  }

  /** Opens the embeddings tab, enters the texts, embeds them, and returns the heatmap cells. */
  async embed(texts: readonly string[]): Promise<HeatCell[][]> {
    await this.page.click("[data-testid=tab-embeddings]");
    await this.page.fill("[data-testid=texts]", texts.join("\n"));
    await this.page.click("[data-testid=embed]");
    await this.page.waitForSelector("[data-testid=embeddings]:not([data-state=loading]):not([data-state=idle])", { timeout: 60_000 });
    const state = await this.page.getAttribute("[data-testid=embeddings]", "data-state");
    if (state !== "done") {
      throw new Error(`embedding failed: ${await this.page.textContent("[data-testid=embed-output]")}`);
    }
    return this.page.$$eval("[data-testid=heatmap] tbody tr", (rows) =>
      rows.map((row) =>
        Array.from(row.querySelectorAll("td")).map((td) => ({ value: Number(td.dataset.value), text: td.textContent ?? "" })),
      ),
    );
  }
}
