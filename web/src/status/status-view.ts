import type { ListModelsResponse } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import type { Api } from "../api/clients.js";
import { describeError, type ErrorInfo } from "../api/errors.js";
import { h, replace } from "../ui/dom.js";
import { errorView } from "../ui/error-view.js";

/** The services the page checks at start: one pill each. */
type Service = "model" | "embedding";

interface Check {
  readonly label: string;
  readonly pill: HTMLElement;
}

/** Deadline of a status call: a gateway that hangs counts as down too. */
const checkTimeoutMs = 8000;

/**
 * Calls `ListModels` and `ListEmbeddingModels` at start (and on demand) to tell whether each worker
 * answers, through the gateway, with the chosen transport. A worker that does not shows a banner with
 * the code and message of the failed call (typically UNAVAILABLE).
 */
export class StatusView {
  /** The status pills, for the header. */
  readonly pills: HTMLElement;
  /** The banner, shown only while something is down. */
  readonly banner = h("div", { class: "banner", "data-testid": "banner", hidden: true });
  private readonly checks: Record<Service, Check>;
  private generation = 0;

  constructor(
    private readonly api: () => Api,
    private readonly onModels: (res: ListModelsResponse) => void,
  ) {
    const pill = (service: Service) =>
      h("span", { class: "pill", "data-testid": `status-${service}`, "data-status": "checking" }, `${service} · checking`);
    this.checks = {
      model: { label: "Model worker", pill: pill("model") },
      embedding: { label: "Embedding worker", pill: pill("embedding") },
    };
    this.pills = h("div", { class: "pills" }, this.checks.model.pill, this.checks.embedding.pill);
  }

  private mark(service: Service, status: "up" | "down" | "checking", text: string): void {
    const { pill } = this.checks[service];
    pill.dataset.status = status;
    pill.textContent = text;
  }

  /** Runs both checks; the latest run wins if checks overlap (e.g. after a transport switch). */
  async check(): Promise<void> {
    const run = ++this.generation;
    this.mark("model", "checking", "model · checking");
    this.mark("embedding", "checking", "embedding · checking");
    const api = this.api();
    const failures: [Service, ErrorInfo][] = [];
    const model = api.model.listModels({}, { timeoutMs: checkTimeoutMs }).then(
      (res) => {
        if (run !== this.generation) return;
        const ready = res.models.filter((m) => m.ready).length;
        this.mark("model", "up", `model · ${res.defaultModel || res.models[0]?.id || "no models"} (${ready}/${res.models.length} ready)`);
        this.onModels(res);
      },
      (err: unknown) => {
        const error = describeError(err);
        failures.push(["model", error]);
        if (run === this.generation) this.mark("model", "down", `model · ${error.code}`);
      },
    );
    const embedding = api.embedding.listEmbeddingModels({}, { timeoutMs: checkTimeoutMs }).then(
      (res) => {
        if (run !== this.generation) return;
        const first = res.models[0];
        this.mark("embedding", "up", `embedding · ${first ? `${first.id} (${first.dimensions}d)` : "no models"}`);
      },
      (err: unknown) => {
        const error = describeError(err);
        failures.push(["embedding", error]);
        if (run === this.generation) this.mark("embedding", "down", `embedding · ${error.code}`);
      },
    );
    await Promise.all([model, embedding]);
    if (run !== this.generation) return;
    this.showBanner(failures);
  }

  private showBanner(failures: readonly [Service, ErrorInfo][]): void {
    if (failures.length === 0) {
      this.banner.hidden = true;
      this.banner.replaceChildren();
      return;
    }
    const retry = h("button", { type: "button", class: "ghost", "data-testid": "retry" }, "Check again");
    retry.addEventListener("click", () => void this.check());
    replace(
      this.banner,
      h("div", { class: "banner-errors" }, ...failures.map(([service, error]) => errorView(error, `${this.checks[service].label} is down`))),
      retry,
    );
    this.banner.hidden = false;
  }
}
