import { h } from "../ui/dom.js";

/**
 * Colour of a similarity in [-1, 1]: a light-to-deep blue ramp for 0..1 (where sentence embeddings
 * live), a warm tint for negative values. Returns the background and a readable text colour.
 *
 * @example
 *   heatColor(0.9); // { background: "hsl(228 70% 38%)", text: "#fff" }
 */
export function heatColor(value: number): { background: string; text: string } {
  const v = Math.max(-1, Math.min(1, value));
  if (v < 0) {
    const t = -v;
    return { background: `hsl(14 80% ${Math.round(96 - t * 36)}%)`, text: "#3a1206" };
  }
  const lightness = Math.round(97 - v * 59);
  return { background: `hsl(228 ${Math.round(40 + v * 30)}% ${lightness}%)`, text: lightness < 60 ? "#fff" : "#1b2140" };
}

/** Shortens a label for a header cell; the full text stays in the title attribute. */
function shorten(text: string, max = 44): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Renders a similarity matrix as a table: one row and one column per text, each cell coloured by its
 * value and showing it with two decimals (`data-value` keeps the full number).
 *
 * @example
 *   panel.append(heatmap(["a cat", "a kitten"], [[1, 0.8], [0.8, 1]]));
 */
export function heatmap(labels: readonly string[], matrix: readonly (readonly number[])[]): HTMLTableElement {
  const head = h(
    "tr",
    {},
    h("th", { class: "corner" }, ""),
    ...labels.map((label, j) => h("th", { scope: "col", title: label }, h("span", { class: "idx" }, `#${j + 1}`))),
  );
  const rows = matrix.map((row, i) =>
    h(
      "tr",
      {},
      h("th", { scope: "row", title: labels[i] ?? "" }, h("span", { class: "idx" }, `#${i + 1}`), " ", shorten(labels[i] ?? "")),
      ...row.map((value, j) => {
        const { background, text } = heatColor(value);
        return h(
          "td",
          {
            "data-row": i,
            "data-col": j,
            "data-value": value,
            style: `background:${background};color:${text}`,
            title: `#${i + 1} × #${j + 1}: ${value.toFixed(4)}`,
          },
          value.toFixed(2),
        );
      }),
    ),
  );
  return h("table", { class: "heatmap", "data-testid": "heatmap" }, h("thead", {}, head), h("tbody", {}, ...rows));
}
