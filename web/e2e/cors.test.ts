/**
 * CORS from a real browser: the playground served by a second, plain static server (another origin)
 * calls a gateway that allows that origin, and is refused by gateways that do not (CORS off, the
 * default, or another origin allowed).
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type Browser } from "./browser.js";
import { meshAnswer, meshPrompt, modelScript } from "./fixtures.js";
import { buildWeb, metric, startGateway, startScriptedModel, type Gateway, type ModelWorker } from "./mesh.js";
import { PlaygroundPage } from "./playground-page.js";
import { freePort } from "./processes.js";
import { serveStatic, type StaticServer } from "./static-server.js";

let dist: string;
let model: ModelWorker;
let site: StaticServer;
let allowing: Gateway;
let corsOff: Gateway;
let allowingOthers: Gateway;
let browser: Browser;

beforeAll(async () => {
  [dist, model] = await Promise.all([buildWeb(), startScriptedModel("web-cors-model", modelScript)]);
  site = await serveStatic(dist, await freePort());
  // No embedding worker here: its pool points at a closed port (the tests only use the model).
  const common = { model: model.address, embedding: `127.0.0.1:${await freePort()}`, staticDir: dist, waitReady: false };
  [allowing, corsOff, allowingOthers] = await Promise.all([
    startGateway("web-cors-gateway-allowing", { ...common, corsOrigins: [site.origin] }),
    startGateway("web-cors-gateway-off", common),
    startGateway("web-cors-gateway-others", { ...common, corsOrigins: ["http://127.0.0.1:1"] }),
  ]);
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await Promise.all([allowing, corsOff, allowingOthers, model].map((p) => p?.proc.stop()));
  if (dist) rmSync(dist, { recursive: true, force: true });
}, 60_000);

/** Opens the page from the static server, pointed at `gateway` with `transport`; collects console lines. */
async function openCrossOrigin(gateway: Gateway, transport: string): Promise<{ p: PlaygroundPage; console: string[] }> {
  const page = await browser.newPage();
  const lines: string[] = [];
  page.on("console", (m) => lines.push(m.text()));
  const p = new PlaygroundPage(page);
  await p.open(`${site.origin}/?api=${encodeURIComponent(gateway.url)}&transport=${transport}`);
  return { p, console: lines };
}

const generations = () => metric(model.metricsUrl, "agentos_model_generations_total");

describe("CORS for the playground on another origin", () => {
  for (const transport of ["connect-json", "grpc-web"]) {
    it(`calls a gateway that allows its origin (${transport})`, async () => {
      const { p } = await openCrossOrigin(allowing, transport);
      expect(new URL(p.page.url()).origin).not.toBe(new URL(allowing.url).origin);
      // The page says, visibly, that its calls go to another origin, and names it.
      const notice = await p.apiNotice();
      expect(notice).toContain(`goes to ${allowing.url}`);
      expect(notice).toContain(`not to ${site.origin}`);
      expect(await p.status("model")).toBe("up");
      await p.send(meshPrompt);
      const seen = await p.watchStream();
      expect(seen.state).toBe("done");
      expect(seen.final).toBe(meshAnswer);

      // Errors keep their code across origins: the status headers are exposed to the page.
      await p.setSampling("top-p", "3");
      await p.send(meshPrompt);
      expect(await p.waitForEnd()).toBe("error");
      const error = await p.answerError();
      expect(error.code).toBe("INVALID_ARGUMENT");
      expect(error.text).toContain("top_p");
      await p.page.close();
    });
  }

  for (const [name, gateway] of [
    ["with CORS off (the default)", () => corsOff],
    ["that allows only other origins", () => allowingOthers],
  ] as const) {
    it(`is refused by a gateway ${name}, which still serves its own origin`, async () => {
      const before = await generations();
      const { p, console: lines } = await openCrossOrigin(gateway(), "connect-json");
      expect(await p.status("model")).toBe("down");
      const banner = p.page.locator("[data-testid=banner] [data-testid=error]").first();
      expect(await banner.getAttribute("data-code")).toBe("UNAVAILABLE");
      expect(await banner.textContent()).toContain("CORS");
      await p.send(meshPrompt);
      expect(await p.waitForEnd()).toBe("error");
      expect((await p.answerError()).code).toBe("UNAVAILABLE");
      expect(lines.some((l) => l.includes("blocked by CORS policy"))).toBe(true);
      // The browser never sent the call: the worker generated nothing.
      expect(await generations()).toBe(before);
      await p.page.close();

      // Same gateway, same page, its own origin: works.
      const own = new PlaygroundPage(await browser.newPage());
      await own.open(`${gateway().url}/`);
      expect(await own.status("model")).toBe("up");
      await own.page.close();
    });
  }
});
