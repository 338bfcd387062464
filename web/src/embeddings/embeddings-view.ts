import type { Api } from "../api/clients.js";
import type { ErrorInfo } from "../api/errors.js";
import { h, replace } from "../ui/dom.js";
import { errorView } from "../ui/error-view.js";
import { formatMs } from "../ui/format.js";
import { cosineMatrix } from "./cosine.js";
import { embedTimeoutMs, runEmbed } from "./embed-call.js";
import { heatmap } from "./heatmap.js";
import { parseTexts } from "./texts.js";

/** What the embeddings tab is doing; mirrored in the view's `data-state` attribute. */
export type EmbeddingsState = "idle" | "loading" | "done" | "cancelled" | "error";

/** The most texts the heatmap shows legibly; the API itself takes up to 512. */
export const maxTexts = 12;

const sampleTexts = [
  "The cat sleeps on the warm windowsill.",
  "A kitten naps in the sun by the window.",
  "Stock markets fell sharply after the rate decision.",
  "Investors sold shares when interest rates went up.",
  "How do I bake sourdough bread at home?",
];

/**
 * The embeddings tab: texts in, `EmbeddingService.Embed` vectors out, shown as a cosine-similarity
 * heatmap with the numbers in the cells. A call has a deadline ({@link embedTimeoutMs}) and a Cancel
 * button, so a gateway that never answers cannot leave the tab waiting.
 */
export class EmbeddingsView {
  readonly element: HTMLElement;
  private readonly input = h("textarea", { "data-testid": "texts", rows: 8, spellcheck: false });
  private readonly run = h("button", { type: "submit", class: "primary", "data-testid": "embed" }, "Embed and compare");
  private readonly cancel = h("button", { type: "button", class: "danger", "data-testid": "embed-cancel", disabled: true }, "Cancel");
  private readonly meta = h("p", { class: "meta", "data-testid": "embed-meta" });
  private readonly output = h(
    "div",
    { class: "heatmap-wrap", "data-testid": "embed-output" },
    h("p", { class: "empty" }, "The similarity matrix of the texts' embeddings appears here."),
  );

  private controller: AbortController | undefined;

  constructor(
    private readonly api: () => Api,
    private readonly onError: (error: ErrorInfo) => void,
  ) {
    this.input.value = sampleTexts.join("\n");
    const form = h(
      "form",
      { class: "embed-form" },
      h("label", { class: "field" }, h("span", { class: "field-label" }, `Texts, one per line (up to ${maxTexts})`), this.input),
      h("div", { class: "composer-actions" }, h("span", { class: "spacer" }), this.cancel, this.run),
    );
    this.cancel.addEventListener("click", () => this.controller?.abort());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.embed();
    });
    this.element = h(
      "section",
      { class: "embeddings", "data-testid": "embeddings", "data-state": "idle" },
      h("div", { class: "embed-side" }, form),
      h(
        "div",
        { class: "embed-main" },
        h("h3", {}, "Cosine similarity"),
        this.meta,
        this.output,
        h(
          "p",
          { class: "legend" },
          h("span", { class: "swatch low" }),
          " 0 unrelated ",
          h("span", { class: "swatch high" }),
          " 1 same meaning · cosine of the vectors returned by Embed, computed in the page",
        ),
      ),
    );
  }

  private setState(state: EmbeddingsState): void {
    this.element.dataset.state = state;
    this.run.disabled = state === "loading";
    this.cancel.disabled = state !== "loading";
  }

  /** Embeds the texts and renders their similarity matrix; Cancel or the deadline ends the call. */
  async embed(): Promise<void> {
    if (this.controller) return;
    const texts = parseTexts(this.input.value);
    if (texts.length > maxTexts) {
      this.meta.textContent = "";
      replace(this.output, h("p", { class: "note" }, `${texts.length} texts: the heatmap shows at most ${maxTexts}.`));
      this.setState("idle");
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    this.setState("loading");
    this.meta.textContent = "Embedding…";
    const outcome = await runEmbed(this.api().embedding, texts, { signal: controller.signal, timeoutMs: embedTimeoutMs });
    this.controller = undefined;
    switch (outcome.kind) {
      case "done": {
        const res = outcome.response;
        const matrix = cosineMatrix(res.embeddings.map((e) => e.values));
        this.meta.textContent = `${res.model} · ${res.dimensions} dimensions · ${res.totalTokens} word pieces · ${formatMs(outcome.elapsedMs)}`;
        replace(this.output, heatmap(texts, matrix));
        this.setState("done");
        break;
      }
      case "cancelled":
        this.meta.textContent = "";
        replace(this.output, h("p", { class: "note", "data-testid": "embed-cancelled" }, "Cancelled: the Embed call was aborted."));
        this.setState("cancelled");
        break;
      case "failed":
        this.meta.textContent = "";
        replace(this.output, errorView(outcome.error, "Embed failed"));
        this.setState("error");
        this.onError(outcome.error);
        break;
    }
  }
}
