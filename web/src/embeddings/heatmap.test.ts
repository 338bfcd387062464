import { describe, expect, it } from "vitest";
import { heatColor } from "./heatmap.js";

function lightness(hsl: string): number {
  const match = /(\d+)%\)$/.exec(hsl);
  if (!match) throw new Error(`not hsl: ${hsl}`);
  return Number(match[1]);
}

describe("heatColor", () => {
  it("darkens as similarity grows and switches to white text on dark cells", () => {
    const low = heatColor(0.05);
    const high = heatColor(0.95);
    expect(lightness(high.background)).toBeLessThan(lightness(low.background));
    expect(high.text).toBe("#fff");
    expect(low.text).not.toBe("#fff");
  });

  it("gives negative similarities a different hue and clamps out-of-range values", () => {
    expect(heatColor(-0.5).background.startsWith("hsl(14 ")).toBe(true);
    expect(heatColor(7)).toEqual(heatColor(1));
    expect(heatColor(-7)).toEqual(heatColor(-1));
  });
});
