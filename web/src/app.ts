import { createApi, type Api } from "./api/clients.js";
import type { ErrorInfo } from "./api/errors.js";
import { createTransport, transportKinds, transportLabels, isTransportKind, type TransportKind } from "./api/transport.js";
import { ChatView } from "./chat/chat-view.js";
import { rememberTransport, type PageConfig } from "./config.js";
import { EmbeddingsView } from "./embeddings/embeddings-view.js";
import { StatusView } from "./status/status-view.js";
import { h } from "./ui/dom.js";

const tabs = [
  { id: "chat", label: "Chat", rpc: "ModelService.Generate" },
  { id: "embeddings", label: "Embeddings", rpc: "EmbeddingService.Embed" },
] as const;
type TabId = (typeof tabs)[number]["id"];

/**
 * The notice shown while `?api=` sends the page's calls to another origin than the page's own (or was
 * ignored): what is typed here goes to that origin, so the page names it where it cannot be missed.
 */
function apiNotice(config: PageConfig): HTMLElement | null {
  if (config.foreignOrigin !== undefined) {
    return h(
      "div",
      { class: "notice", role: "status", "data-testid": "api-notice", "data-origin": config.foreignOrigin },
      h("strong", {}, "Another origin: "),
      "every call, with the prompts and texts typed here, goes to ",
      h("code", {}, config.foreignOrigin),
      ` (set by ?api= in the address), not to ${location.origin}, which served this page.`,
    );
  }
  if (config.ignoredApi !== undefined) {
    return h(
      "div",
      { class: "notice", role: "status", "data-testid": "api-notice" },
      h("strong", {}, "Ignored ?api=: "),
      h("code", {}, config.ignoredApi),
      ` is not an http(s) URL; calls go to ${location.origin}, which served this page.`,
    );
  }
  return null;
}

/**
 * Assembles the page: header (status, transport switch), banner, and the two tabs. Every call goes
 * through the clients generated from proto/, over the transport chosen in the header.
 *
 * @example
 *   mountApp(document.body, readConfig(location, localStorage));
 */
export function mountApp(root: HTMLElement, config: PageConfig, storage?: Storage): void {
  let kind: TransportKind = config.transport;
  let api: Api = createApi(createTransport(kind, config.baseUrl));
  const currentApi = () => api;

  const chat = new ChatView(currentApi, (e) => onCallError(e));
  const embeddings = new EmbeddingsView(currentApi, (e) => onCallError(e));
  const status = new StatusView(currentApi, (res) => chat.sampling.setModels(res.models, res.defaultModel));
  function onCallError(error: ErrorInfo): void {
    // A call that finds a worker or the gateway down (or hanging, or gone mid-stream) refreshes the
    // status, so the pills and the banner tell the same story.
    if (error.code === "UNAVAILABLE" || error.code === "DEADLINE_EXCEEDED") void status.check();
  }

  const select = h(
    "select",
    { "data-testid": "transport", "aria-label": "Transport" },
    ...transportKinds.map((k) => h("option", { value: k, selected: k === kind }, transportLabels[k])),
  );
  select.addEventListener("change", () => {
    if (!isTransportKind(select.value)) return;
    kind = select.value;
    if (storage) rememberTransport(kind, storage);
    api = createApi(createTransport(kind, config.baseUrl));
    root.dataset.transport = kind;
    void status.check();
  });

  const tabButtons = new Map<TabId, HTMLButtonElement>();
  const panels = new Map<TabId, HTMLElement>([
    ["chat", chat.element],
    ["embeddings", embeddings.element],
  ]);
  for (const [tab, panel] of panels) {
    panel.id = `panel-${tab}`;
    panel.setAttribute("role", "tabpanel");
  }
  const show = (id: TabId) => {
    for (const [tab, button] of tabButtons) button.setAttribute("aria-selected", String(tab === id));
    for (const [tab, panel] of panels) panel.hidden = tab !== id;
  };
  const nav = h("nav", { class: "tabs", role: "tablist" });
  for (const tab of tabs) {
    const button = h(
      "button",
      { type: "button", role: "tab", "aria-controls": `panel-${tab.id}`, "data-testid": `tab-${tab.id}` },
      tab.label,
      h("small", {}, tab.rpc),
    );
    button.addEventListener("click", () => {
      history.replaceState(null, "", `#${tab.id}`);
      show(tab.id);
    });
    tabButtons.set(tab.id, button);
    nav.append(button);
  }

  const header = h(
    "header",
    { class: "top" },
    h("div", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "◆"), h("strong", {}, "AgentOS"), h("span", {}, "Worker Mesh playground")),
    status.pills,
    h(
      "div",
      { class: "connection" },
      h("label", {}, "Transport ", select),
      h("code", { "data-testid": "gateway-url", title: "Gateway base URL (?api= to change)" }, config.baseUrl),
    ),
  );
  root.dataset.transport = kind;
  const notice = apiNotice(config);
  root.replaceChildren(
    header,
    ...(notice ? [notice] : []),
    status.banner,
    h("main", {}, nav, chat.element, embeddings.element),
    h(
      "footer",
      { class: "foot" },
      "Every call is a client generated from ",
      h("code", {}, "proto/agentos"),
      " over ",
      h("code", {}, "@connectrpc/connect-web"),
      ": the same methods serve gRPC services and REST/JSON on the same port.",
    ),
  );
  show(location.hash === "#embeddings" ? "embeddings" : "chat");
  void status.check();
}
