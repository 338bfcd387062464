import type { ErrorInfo } from "../api/errors.js";
import { h } from "./dom.js";

/**
 * Renders an RPC error with its code, so that users (and tests) see exactly what the server said.
 *
 * @example
 *   panel.append(errorView(describeError(err)));
 */
export function errorView(error: ErrorInfo, context?: string): HTMLElement {
  return h(
    "div",
    { class: "error", role: "alert", "data-testid": "error", "data-code": error.code },
    h("span", { class: "error-code" }, error.code),
    h("span", { class: "error-message" }, context ? `${context}: ${error.message}` : error.message),
  );
}
