import { FinishReason } from "../../../gen/ts/agentos/model/v1/model_pb.js";
import type { Api } from "../api/clients.js";
import type { ErrorInfo } from "../api/errors.js";
import { h } from "../ui/dom.js";
import { errorView } from "../ui/error-view.js";
import { FiguresView } from "./figures-view.js";
import { runGeneration } from "./generation.js";
import { buildGenerateRequest, type Turn } from "./request.js";
import { SamplingControls } from "./sampling-form.js";

/** What the chat is doing; mirrored in the view's `data-state` attribute. */
export type ChatState = "idle" | "streaming" | "done" | "stopped" | "error";

const finishLabels: Record<FinishReason, string> = {
  [FinishReason.UNSPECIFIED]: "—",
  [FinishReason.STOP]: "stop",
  [FinishReason.LENGTH]: "length",
  [FinishReason.STOP_SEQUENCE]: "stop sequence",
};

/**
 * The chat tab: a conversation whose answers stream token by token from `ModelService.Generate`, with
 * sampling controls, a Stop button that cancels the call, and live figures.
 */
export class ChatView {
  readonly element: HTMLElement;
  readonly sampling = new SamplingControls();
  private readonly figures = new FiguresView();
  private readonly transcript = h(
    "div",
    { class: "transcript", "data-testid": "transcript", "aria-live": "polite" },
    h("p", { class: "empty" }, "Ask something. The answer streams here token by token."),
  );
  private readonly prompt = h("textarea", {
    "data-testid": "prompt",
    rows: 3,
    placeholder: "Write a prompt… (Enter sends, Shift+Enter for a new line)",
  });
  private readonly send = h("button", { type: "submit", class: "primary", "data-testid": "send" }, "Generate");
  private readonly stop = h("button", { type: "button", class: "danger", "data-testid": "stop", disabled: true }, "Stop");
  private readonly clear = h("button", { type: "button", class: "ghost", "data-testid": "clear" }, "Clear");
  private readonly conversation: Turn[] = [];
  private controller: AbortController | undefined;

  constructor(
    private readonly api: () => Api,
    private readonly onError: (error: ErrorInfo) => void,
  ) {
    const form = h(
      "form",
      { class: "composer" },
      this.prompt,
      h("div", { class: "composer-actions" }, this.clear, h("span", { class: "spacer" }), this.stop, this.send),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.generate();
    });
    this.prompt.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    this.stop.addEventListener("click", () => this.controller?.abort());
    this.clear.addEventListener("click", () => this.reset());
    this.element = h(
      "section",
      { class: "chat", "data-testid": "chat", "data-state": "idle" },
      h("div", { class: "chat-main" }, this.transcript, form),
      h("aside", { class: "chat-side" }, this.figures.element, this.sampling.element),
    );
  }

  private setState(state: ChatState): void {
    this.element.dataset.state = state;
    const busy = state === "streaming";
    this.send.disabled = busy;
    this.stop.disabled = !busy;
    this.clear.disabled = busy;
  }

  private reset(): void {
    this.conversation.length = 0;
    this.transcript.replaceChildren(h("p", { class: "empty" }, "Conversation cleared."));
    this.figures.show({ timeToFirstTokenMs: undefined, tokensPerSecond: undefined, totalTokens: 0 }, "—");
    this.figures.clearWorker();
    this.setState("idle");
  }

  private bubble(role: Turn["role"], text: string): { box: HTMLElement; body: HTMLElement } {
    this.transcript.querySelector(".empty")?.remove();
    const body = h("div", { class: "bubble-text" }, text);
    const box = h("article", { class: `bubble ${role}` }, h("header", {}, role === "user" ? "You" : "Model"), body);
    this.transcript.append(box);
    return { box, body };
  }

  /** Sends the prompt with the conversation so far and streams the answer into a new bubble. */
  async generate(): Promise<void> {
    const text = this.prompt.value.trim();
    if (text === "" || this.controller) return;
    // Sampling values the request cannot carry are refused before the prompt is taken: nothing is sent.
    const built = buildGenerateRequest([...this.conversation, { role: "user", text }], this.sampling.read());
    this.sampling.showProblems(built.ok ? [] : built.problems);
    if (!built.ok) return;
    this.prompt.value = "";
    this.conversation.push({ role: "user", text });
    this.bubble("user", text);
    const { box, body } = this.bubble("assistant", "");
    box.classList.add("streaming");
    body.dataset.testid = "answer";
    this.transcript.querySelectorAll("[data-testid=answer]").forEach((el) => el !== body && el.removeAttribute("data-testid"));
    const output = document.createTextNode("");
    body.append(output);

    const controller = new AbortController();
    this.controller = controller;
    this.setState("streaming");
    this.figures.clearWorker("Waiting for the first token…");
    this.figures.show({ timeToFirstTokenMs: undefined, tokensPerSecond: undefined, totalTokens: 0 }, "streaming");
    const outcome = await runGeneration(this.api().model, built.request, {
      signal: controller.signal,
      onText: (chunk, figures) => {
        output.appendData(chunk);
        this.figures.show(figures, "streaming");
        if (figures.totalTokens > 0) this.figures.clearWorker();
        this.transcript.scrollTop = this.transcript.scrollHeight;
      },
    });
    this.controller = undefined;
    box.classList.remove("streaming");

    switch (outcome.kind) {
      case "finished":
        this.conversation.push({ role: "assistant", text: output.data });
        this.figures.show(outcome.figures, finishLabels[outcome.finishReason]);
        this.figures.showWorker(outcome.model, outcome.usage, outcome.timing);
        this.setState("done");
        break;
      case "stopped":
        box.classList.add("stopped");
        box.append(h("footer", { "data-testid": "stopped" }, "Stopped: the call was cancelled, which cancels the generation on the worker."));
        this.conversation.pop();
        this.figures.show(outcome.figures, "stopped");
        this.figures.clearWorker();
        this.setState("stopped");
        break;
      case "failed":
        box.classList.add("failed");
        box.append(errorView(outcome.error));
        this.conversation.pop();
        this.figures.show(outcome.figures, "error");
        this.figures.clearWorker();
        this.setState("error");
        this.onError(outcome.error);
        break;
    }
  }
}
