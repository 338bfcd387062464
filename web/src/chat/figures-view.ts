import type { GenerationTiming, Usage } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { h, replace } from "../ui/dom.js";
import { durationMs, formatMs, formatRate } from "../ui/format.js";
import type { LiveFigures } from "./live-stats.js";

function figure(label: string, testid: string): [HTMLElement, HTMLElement] {
  const value = h("dd", { "data-testid": testid }, "—");
  return [h("div", { class: "figure" }, h("dt", {}, label), value), value];
}

/**
 * The live figures of the current generation (measured in the browser), and once it ends, the figures
 * the worker reported in the last response of the stream.
 */
export class FiguresView {
  readonly element: HTMLElement;
  private readonly ttft: HTMLElement;
  private readonly rate: HTMLElement;
  private readonly tokens: HTMLElement;
  private readonly finish: HTMLElement;
  private readonly worker = h("p", { class: "worker-figures", "data-testid": "worker-figures" });

  constructor() {
    const [ttftBox, ttft] = figure("Time to first token", "ttft");
    const [rateBox, rate] = figure("Tokens / s", "tokens-per-second");
    const [tokensBox, tokens] = figure("Tokens", "total-tokens");
    const [finishBox, finish] = figure("Finish", "finish");
    this.ttft = ttft;
    this.rate = rate;
    this.tokens = tokens;
    this.finish = finish;
    this.element = h(
      "section",
      { class: "figures-panel" },
      h("h3", {}, "Live figures"),
      h("dl", { class: "figures" }, ttftBox, rateBox, tokensBox, finishBox),
      this.worker,
    );
  }

  /** Shows the browser-side figures. */
  show(f: LiveFigures, finish: string): void {
    this.ttft.textContent = formatMs(f.timeToFirstTokenMs);
    this.rate.textContent = formatRate(f.tokensPerSecond);
    this.tokens.textContent = String(f.totalTokens);
    this.finish.textContent = finish;
  }

  /** Shows what the worker measured, from the stream's last response. */
  showWorker(model: string, usage: Usage | undefined, timing: GenerationTiming | undefined): void {
    replace(
      this.worker,
      h("span", {}, "Worker: "),
      h("strong", {}, model || "model"),
      ` · TTFT ${formatMs(durationMs(timing?.timeToFirstToken))}`,
      ` · ${formatRate(timing?.tokensPerSecond)} tok/s`,
      ` · ${usage?.promptTokens ?? 0} prompt + ${usage?.completionTokens ?? 0} completion tokens`,
    );
  }

  /** Clears the worker line (a new generation started, or it did not finish). */
  clearWorker(text = ""): void {
    this.worker.textContent = text;
  }
}
