/**
 * A tiny element builder: enough structure for a handful of views without a UI framework.
 *
 * @example
 *   const button = h("button", { class: "primary", onclick: run }, "Generate");
 *   panel.append(h("p", {}, "Tokens: ", h("strong", {}, "42")));
 */

type Child = Node | string | number | null | undefined | false;

/** Attributes: strings become attributes; functions named `on*` become listeners; booleans toggle. */
export type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** Creates an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") {
      el.addEventListener(name.replace(/^on/, ""), value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, ...children);
  return el;
}

/** Appends children, skipping empty ones. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all children of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}
