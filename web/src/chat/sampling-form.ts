import { ModelKind, type ModelInfo } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { h, replace } from "../ui/dom.js";
import type { SamplingForm } from "./request.js";

function field(label: string, input: HTMLElement, hint: string): HTMLElement {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), input, h("span", { class: "field-hint" }, hint));
}

function numberInput(name: string, attrs: Record<string, string>): HTMLInputElement {
  return h("input", { type: "number", name, "data-testid": name, inputmode: "decimal", ...attrs });
}

/**
 * The sampling controls: model, max tokens, temperature, top-p and seed. Empty means "the model's
 * default"; the values go to the server unchanged, which validates them.
 */
export class SamplingControls {
  readonly element: HTMLElement;
  private readonly model = h("select", { name: "model", "data-testid": "model" }, h("option", { value: "" }, "default model"));
  private readonly maxTokens = numberInput("max-tokens", { min: "1", max: "8192", step: "1", value: "128" });
  private readonly temperature = numberInput("temperature", { min: "0", max: "2", step: "0.1", value: "0.7" });
  private readonly topP = numberInput("top-p", { min: "0", max: "1", step: "0.05", value: "0.95" });
  private readonly seed = numberInput("seed", { min: "0", step: "1", placeholder: "random" });

  constructor() {
    this.element = h(
      "section",
      { class: "sampling" },
      h("h3", {}, "Sampling"),
      h(
        "div",
        { class: "sampling-grid" },
        field("Model", this.model, "from ListModels"),
        field("Max tokens", this.maxTokens, "1–8192"),
        field("Seed", this.seed, "reproducible"),
        field("Temperature", this.temperature, "0–2 · 0 greedy"),
        field("Top-p", this.topP, "(0, 1]"),
      ),
    );
  }

  /** Fills the model picker from ListModels, default model first and selected. */
  setModels(models: readonly ModelInfo[], defaultModel: string): void {
    const selected = this.model.value;
    const generative = models.filter((m) => m.kind !== ModelKind.CLASSIFIER);
    replace(
      this.model,
      h("option", { value: "" }, defaultModel ? `default (${defaultModel})` : "default model"),
      ...generative.map((m) => h("option", { value: m.id }, `${m.id} · ${m.backend}${m.ready ? "" : " (loading)"}`)),
    );
    if (generative.some((m) => m.id === selected)) this.model.value = selected;
  }

  /** The current values as typed. */
  read(): SamplingForm {
    return {
      model: this.model.value,
      maxTokens: this.maxTokens.value,
      temperature: this.temperature.value,
      topP: this.topP.value,
      seed: this.seed.value,
    };
  }
}
