/**
 * The playground in a real browser against the real mesh: Debian's Chromium (headless, driven by
 * playwright-core) loads the page from the gateway, which routes to a scripted model worker and the real
 * MiniLM embedding worker, all separate processes on ephemeral ports.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddingService } from "../../gen/ts/agentos/embedding/v1/embedding_pb.js";
import { embedTimeoutMs } from "../src/embeddings/embed-call.js";
import { launchBrowser, type Browser } from "./browser.js";
import { longPrompt, meshAnswer, meshPrompt, modelScript, pairedTexts } from "./fixtures.js";
import {
  buildWeb,
  metric,
  startEmbedding,
  startGateway,
  startScriptedModel,
  type Gateway,
  type ModelWorker,
  type Worker,
} from "./mesh.js";
import { PlaygroundPage, type HeatCell } from "./playground-page.js";
import { artifactsDir, freePort } from "./processes.js";
import { serveStatic } from "./static-server.js";

let dist: string;
let model: ModelWorker;
let embedding: Worker;
let gateway: Gateway;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  [dist, model, embedding] = await Promise.all([
    buildWeb(),
    startScriptedModel("web-playground-model", modelScript),
    startEmbedding("web-playground-embedding"),
  ]);
  gateway = await startGateway("web-playground-gateway", { model: model.address, embedding: embedding.address, staticDir: dist });
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([gateway?.proc.stop(), model?.proc.stop(), embedding?.proc.stop()]);
  if (dist) rmSync(dist, { recursive: true, force: true });
}, 60_000);

/**
 * A fresh tab on the gateway's page, with no remembered transport (tabs share the profile's storage);
 * uncaught page errors are collected and checked at the end.
 */
async function openPage(url = `${gateway.url}/`): Promise<PlaygroundPage> {
  const page = await browser.newPage();
  await page.addInitScript(() => localStorage.clear());
  page.on("pageerror", (err) => pageErrors.push(err.message));
  const playground = new PlaygroundPage(page);
  await playground.open(url);
  return playground;
}

/** The content types of the API calls a page makes while `action` runs. */
async function apiContentTypes(page: Page, action: () => Promise<void>): Promise<Set<string>> {
  const types = new Set<string>();
  const seen = (req: Request) => {
    if (new URL(req.url()).pathname.startsWith("/agentos.")) types.add(req.headers()["content-type"] ?? "");
  };
  page.on("request", seen);
  try {
    await action();
  } finally {
    page.off("request", seen);
  }
  return types;
}

/** Cosine similarities of the texts' vectors, asked of the embedding worker directly over gRPC. */
async function similarityFromWorker(texts: readonly string[]): Promise<number[][]> {
  const client = createClient(EmbeddingService, createGrpcTransport({ baseUrl: `http://${embedding.address}` }));
  const { embeddings } = await client.embed({ texts: [...texts] });
  const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
  return embeddings.map((a) =>
    embeddings.map((b) => dot(a.values, b.values) / Math.sqrt(dot(a.values, a.values) * dot(b.values, b.values))),
  );
}

function expectHeatmapMatches(cells: HeatCell[][], expected: number[][]): void {
  expect(cells.length).toBe(expected.length);
  cells.forEach((row, i) => {
    expect(row.length).toBe(expected.length);
    row.forEach((cell, j) => {
      const want = expected[i]?.[j] as number;
      expect(cell.value).toBeCloseTo(want, 5);
      expect(cell.text).toBe(want.toFixed(2));
    });
  });
}

async function waitForMetric(what: () => Promise<number>, want: number, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let value = await what();
  while (value !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = await what();
  }
  return value;
}

const tokensGenerated = () => metric(model.metricsUrl, "agentos_model_tokens_generated_total");
const cancelledGenerations = () => metric(model.metricsUrl, "agentos_model_generations_total", { outcome: "cancelled" });
const activeGenerations = () => metric(model.metricsUrl, "agentos_model_active_generations");
const generations = () => metric(model.metricsUrl, "agentos_model_generations_total");

describe("the playground against a gateway that accepts calls and never answers", () => {
  it("Embed carries a deadline, and Cancel ends it", async () => {
    const hung = await serveStatic(dist, await freePort(), { hangApi: true });
    const page = await browser.newPage();
    try {
      page.on("pageerror", (err) => pageErrors.push(err.message));
      await page.addInitScript(() => localStorage.clear());
      await page.goto(`${hung.origin}/#embeddings`);
      const call = page.waitForRequest((r) => r.url().endsWith("/agentos.embedding.v1.EmbeddingService/Embed"));
      await page.click("[data-testid=embed]");
      expect((await call).headers()["connect-timeout-ms"]).toBe(String(embedTimeoutMs));
      await page.waitForSelector("[data-testid=embeddings][data-state=loading]");
      expect(await page.textContent("[data-testid=embed-meta]")).toBe("Embedding…");
      expect(await page.isDisabled("[data-testid=embed]")).toBe(true);

      await page.click("[data-testid=embed-cancel]");
      await page.waitForSelector("[data-testid=embeddings][data-state=cancelled]");
      expect(await page.isEnabled("[data-testid=embed]")).toBe(true);
      expect(await page.isDisabled("[data-testid=embed-cancel]")).toBe(true);
      expect(await page.textContent("[data-testid=embed-meta]")).toBe("");
      expect(await page.textContent("[data-testid=embed-cancelled]")).toContain("Cancelled");
    } finally {
      await page.close();
      await hung.close();
    }
  });
});

describe("the playground served by the gateway", () => {
  it("loads at / and finds both workers up with ListModels and ListEmbeddingModels", async () => {
    const p = await openPage();
    expect(await p.page.title()).toBe("AgentOS Worker Mesh · playground");
    expect(await p.status("model")).toBe("up");
    expect(await p.status("embedding")).toBe("up");
    expect(await p.page.isHidden("[data-testid=banner]")).toBe(true);
    expect(await p.apiNotice()).toBeNull(); // calls go to the page's own origin
    expect(await p.page.textContent("[data-testid=status-model]")).toContain("scripted");
    expect(await p.page.textContent("[data-testid=status-embedding]")).toContain("384d");
    const models = await p.page.$$eval("[data-testid=model] option", (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(models).toContain("scripted");
    await p.page.close();
  });

  it("streams the answer: the first tokens are on screen before the stream ends", async () => {
    const p = await openPage();
    const before = await tokensGenerated();
    const types = await apiContentTypes(p.page, async () => {
      await p.send(meshPrompt);
      const seen = await p.watchStream();
      expect(seen.state).toBe("done");
      expect(seen.final).toBe(meshAnswer);
      expect(seen.firstVisible.length).toBeGreaterThan(0);
      expect(seen.firstVisible.length).toBeLessThan(meshAnswer.length);
      expect(meshAnswer.startsWith(seen.firstVisible)).toBe(true);
    });
    // Same origin, Connect protocol: JSON for unary calls, enveloped JSON for the stream.
    expect(types).toContain("application/connect+json");

    // The figures: tokens counted in the page = tokens the worker counted for this generation.
    const generated = (await tokensGenerated()) - before;
    expect(generated).toBe(52);
    expect(await p.figure("total-tokens")).toBe(String(generated));
    expect(await p.figure("finish")).toBe("stop");
    expect(await p.figure("ttft")).toMatch(/^\d+ ms$/);
    expect(Number(await p.figure("tokens-per-second"))).toBeGreaterThan(0);
    expect(await p.page.textContent("[data-testid=worker-figures]")).toContain(`18 prompt + ${generated} completion tokens`);
    await p.page.screenshot({ path: join(artifactsDir, "web-chat.png") });
    await p.page.close();
  });

  it("Stop cancels the call and the worker stops generating", async () => {
    const p = await openPage();
    const [tokensBefore, cancelledBefore] = [await tokensGenerated(), await cancelledGenerations()];
    await p.send(longPrompt);
    await p.waitForTokens(5);
    await p.stop();
    expect(await p.waitForEnd()).toBe("stopped");
    expect(await p.page.textContent("[data-testid=stopped]")).toContain("Stopped");
    const shown = Number(await p.figure("total-tokens"));
    expect(shown).toBeGreaterThanOrEqual(5);

    // The worker's own counters: one more cancelled generation, none active, and no more tokens.
    expect(await waitForMetric(cancelledGenerations, cancelledBefore + 1)).toBe(cancelledBefore + 1);
    expect(await waitForMetric(activeGenerations, 0)).toBe(0);
    const generated = (await tokensGenerated()) - tokensBefore;
    await new Promise((r) => setTimeout(r, 1500)); // 15 more tokens' time, had it gone on
    expect((await tokensGenerated()) - tokensBefore).toBe(generated);
    expect(generated).toBeGreaterThanOrEqual(shown);
    expect(generated).toBeLessThan(shown + 10); // stopped within a few tokens, far short of 128
    await p.page.screenshot({ path: join(artifactsDir, "web-stopped.png") });
    await p.page.close();
  });

  it("shows an invalid request's error with its code and message", async () => {
    const p = await openPage();
    await p.setSampling("temperature", "5");
    await p.send(meshPrompt);
    expect(await p.waitForEnd()).toBe("error");
    const error = await p.answerError();
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.text).toContain("temperature");
    await p.page.close();
  });

  it("refuses sampling values the request cannot carry, says why, and sends nothing", async () => {
    const p = await openPage();
    const before = await generations();
    for (const [field, value, why] of [
      ["max-tokens", "-5", 'Max tokens "-5" is negative'],
      ["max-tokens", "0.5", 'Max tokens "0.5" is not a whole number'],
      ["max-tokens", "1e10", 'Max tokens "1e10" is more than max_tokens can carry (4294967295)'],
    ] as const) {
      await p.setSampling(field, value);
      await p.submit(meshPrompt);
      const problems = await p.samplingProblems();
      expect(problems, value).toHaveLength(1);
      expect(problems[0]).toContain(why);
      expect(problems[0]).toContain("not sent");
    }
    await p.setSampling("max-tokens", "64");
    await p.setSampling("seed", "-3");
    await p.useTransport("connect-binary");
    await p.submit(meshPrompt);
    expect((await p.samplingProblems())[0]).toContain('Seed "-3" is negative');
    // Nothing was sent: no answer, the prompt is still there, the worker generated nothing.
    expect(await p.page.locator("[data-testid=answer]").count()).toBe(0);
    expect(await p.page.inputValue("[data-testid=prompt]")).toBe(meshPrompt);
    expect(await p.page.getAttribute("[data-testid=seed]", "aria-invalid")).toBe("true");
    expect(await generations()).toBe(before);

    // A value the request can carry goes as typed, over the binary encoding too, for the server to judge.
    await p.setSampling("seed", "");
    await p.setSampling("max-tokens", "9000");
    await p.send(meshPrompt);
    expect(await p.waitForEnd()).toBe("error");
    expect(await p.samplingProblems()).toEqual([]);
    const error = await p.answerError();
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.text).toContain("max_tokens");
    await p.page.close();
  });

  it("ignores an ?api= that is not an http(s) URL, says so, and calls its own origin", async () => {
    const p = await openPage(`${gateway.url}/?api=${encodeURIComponent("javascript:alert(1)")}`);
    expect(await p.apiNotice()).toContain("Ignored ?api=: javascript:alert(1) is not an http(s) URL");
    expect(await p.status("model")).toBe("up");
    await p.page.close();
  });

  it("renders the cosine similarities of real MiniLM embeddings as a heatmap with numbers", async () => {
    const p = await openPage();
    const cells = await p.embed(pairedTexts);
    const expected = await similarityFromWorker(pairedTexts);
    expectHeatmapMatches(cells, expected);
    const m = cells.map((row) => row.map((c) => c.value));
    for (let i = 0; i < m.length; i++) expect(cells[i]?.[i]?.text).toBe("1.00");
    // Real embeddings: paraphrases are close, unrelated topics are not.
    const [cat, kitten, stocks, rates] = [0, 1, 2, 3];
    expect(m[cat]?.[kitten] as number).toBeGreaterThan((m[cat]?.[stocks] as number) + 0.2);
    expect(m[stocks]?.[rates] as number).toBeGreaterThan((m[kitten]?.[rates] as number) + 0.2);
    expect(await p.page.textContent("[data-testid=embed-meta]")).toContain("384 dimensions");
    await p.page.screenshot({ path: join(artifactsDir, "web-embeddings.png") });

    // Too many texts: a note, and the previous run's figures are gone with its heatmap.
    const thirteen = Array.from({ length: 13 }, (_, i) => `text number ${i}`);
    await p.page.fill("[data-testid=texts]", thirteen.join("\n"));
    await p.page.click("[data-testid=embed]");
    await p.page.waitForSelector("[data-testid=embed-output] .note");
    expect(await p.page.textContent("[data-testid=embed-output]")).toContain("13 texts: the heatmap shows at most 12");
    expect(await p.page.textContent("[data-testid=embed-meta]")).toBe("");
    await p.page.close();
  });

  for (const [kind, contentTypes] of [
    ["grpc-web", ["application/grpc-web+proto"]],
    ["connect-binary", ["application/proto", "application/connect+proto"]],
  ] as const) {
    it(`gives the same results over the ${kind} switch`, async () => {
      const p = await openPage();
      const types = await apiContentTypes(p.page, async () => {
        await p.useTransport(kind);
        expect(await p.status("model")).toBe("up");
        expect(await p.status("embedding")).toBe("up");
        await p.send(meshPrompt);
        const seen = await p.watchStream();
        expect(seen.state).toBe("done");
        expect(seen.final).toBe(meshAnswer);
        expect(meshAnswer.startsWith(seen.firstVisible) && seen.firstVisible.length < meshAnswer.length).toBe(true);
        expect(await p.figure("total-tokens")).toBe("52");
        expectHeatmapMatches(await p.embed(pairedTexts), await similarityFromWorker(pairedTexts));
      });
      expect([...types].sort()).toEqual([...contentTypes].sort());

      // Stop works the same way: the cancel reaches the worker.
      const cancelledBefore = await cancelledGenerations();
      await p.send(longPrompt);
      await p.waitForTokens(3);
      await p.stop();
      expect(await p.waitForEnd()).toBe("stopped");
      expect(await waitForMetric(cancelledGenerations, cancelledBefore + 1)).toBe(cancelledBefore + 1);
      if (kind === "grpc-web") await p.page.screenshot({ path: join(artifactsDir, "web-grpc-web.png") });
      await p.page.close();
    });
  }

  it("shows a worker that is down as UNAVAILABLE, and keeps the other one usable", async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const down = await startGateway("web-playground-gateway-down", {
      model: nobody,
      embedding: embedding.address,
      staticDir: dist,
      waitReady: false,
    });
    try {
      const p = await openPage(`${down.url}/`);
      expect(await p.status("model")).toBe("down");
      expect(await p.status("embedding")).toBe("up");
      const banner = p.page.locator("[data-testid=banner] [data-testid=error]");
      expect(await banner.count()).toBe(1);
      expect(await banner.getAttribute("data-code")).toBe("UNAVAILABLE");
      expect(await banner.textContent()).toContain("Model worker is down");

      await p.send(meshPrompt);
      expect(await p.waitForEnd()).toBe("error");
      expect((await p.answerError()).code).toBe("UNAVAILABLE");
      await p.page.screenshot({ path: join(artifactsDir, "web-unavailable.png") });
      expect((await p.embed(pairedTexts.slice(0, 2))).length).toBe(2);
      await p.page.close();
    } finally {
      await down.proc.stop();
    }
  });

  it("shows a connection lost mid-stream as UNAVAILABLE, and finds the gateway down", async () => {
    const lost = await startGateway("web-playground-gateway-lost", { model: model.address, embedding: embedding.address, staticDir: dist });
    try {
      const p = await openPage(`${lost.url}/`);
      expect(await p.status("model")).toBe("up");
      await p.send(longPrompt);
      await p.waitForTokens(3);
      await lost.proc.stop("SIGKILL"); // the gateway dies with the stream open
      expect(await p.waitForEnd()).toBe("error");
      const error = await p.answerError();
      expect(error.code).toBe("UNAVAILABLE");
      expect(error.text).toContain(`lost the connection to the gateway at ${lost.url} during the stream`);
      // The failed call refreshed the status: both pills and the banner say the gateway is gone.
      await p.waitForStatus("down");
      expect(await p.page.getAttribute("[data-testid=banner] [data-testid=error]", "data-code")).toBe("UNAVAILABLE");
      await p.page.close();
    } finally {
      await lost.proc.stop();
    }
  });

  it("raised no uncaught errors in any page", () => {
    expect(pageErrors).toEqual([]);
  });
});
