import { ModelKind, type ModelInfo } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import { h, replace } from "../ui/dom.js";
import { errorView } from "../ui/error-view.js";
import type { SamplingForm } from "./request.js";
import type { SamplingProblem } from "./sampling-values.js";

function field(label: string, input: HTMLElement, hint: string): HTMLElement {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, label), input, h("span", { class: "field-hint" }, hint));
}

/**
 * A text field for a number: what is typed reaches the page as typed (an `<input type=number>` reports
 * text it cannot read, such as "1e", as empty, which would silently mean "the model's default").
 */
function numberInput(name: string, attrs: Record<string, string>): HTMLInputElement {
  return h("input", { type: "text", name, "data-testid": name, autocomplete: "off", spellcheck: false, ...attrs });
}

/**
 * The sampling controls: model, max tokens, temperature, top-p and seed. Empty means "the model's
 * default". Values are never changed: one the request can carry goes to the server as typed, which
 * validates it (INVALID_ARGUMENT); one it cannot carry (see sampling-values.ts) is refused here with
 * a message under the fields, and nothing is sent.
 */
export class SamplingControls {
  readonly element: HTMLElement;
  private readonly model = h("select", { name: "model", "data-testid": "model" }, h("option", { value: "" }, "default model"));
  private readonly maxTokens = numberInput("max-tokens", { inputmode: "numeric", value: "128", placeholder: "model default" });
  private readonly temperature = numberInput("temperature", { inputmode: "decimal", value: "0.7", placeholder: "model default" });
  private readonly topP = numberInput("top-p", { inputmode: "decimal", value: "0.95", placeholder: "model default" });
  private readonly seed = numberInput("seed", { inputmode: "numeric", placeholder: "random" });
  private readonly problems = h("div", { class: "sampling-problems", "data-testid": "sampling-problems", hidden: true });
  private readonly inputs: Record<string, HTMLInputElement> = {
    "Max tokens": this.maxTokens,
    Temperature: this.temperature,
    "Top-p": this.topP,
    Seed: this.seed,
  };

  constructor() {
    this.element = h(
      "section",
      { class: "sampling" },
      h("h3", {}, "Sampling"),
      h(
        "div",
        { class: "sampling-grid" },
        field("Model", this.model, "from ListModels"),
        field("Max tokens", this.maxTokens, "1–8192 · 0 model default"),
        field("Seed", this.seed, "reproducible"),
        field("Temperature", this.temperature, "0–2 · 0 greedy"),
        field("Top-p", this.topP, "(0, 1]"),
      ),
      this.problems,
    );
  }

  /**
   * Shows why the values cannot be sent (none: hides the message), marks those fields invalid and
   * moves the focus to the first one.
   */
  showProblems(problems: readonly SamplingProblem[]): void {
    for (const input of Object.values(this.inputs)) input.removeAttribute("aria-invalid");
    replace(
      this.problems,
      ...problems.map((p) => errorView({ code: "INVALID_ARGUMENT", message: `${p.field} ${p.message} (not sent)` })),
    );
    this.problems.hidden = problems.length === 0;
    for (const p of problems) this.inputs[p.field]?.setAttribute("aria-invalid", "true");
    if (problems[0]) this.inputs[problems[0].field]?.focus();
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
