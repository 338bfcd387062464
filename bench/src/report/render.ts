/**
 * The markdown report of a run: targets, headline ratios, one table per workload (medians with the
 * min–max over repetitions), the correctness checks, and the plots made by bench/report/plots.py.
 */
import type { Check } from "../verify.js";
import type { BenchOptions } from "../options.js";
import type { MachineInfo } from "../machine.js";
import { spread, type Spread } from "../stats.js";
import type { WireBytes } from "../measurement.js";
import { FLOOR_VARIANTS } from "./summary.js";
import { REFERENCE_TOKENS } from "../variants.js";
import type { FloorCheck, Row, Summary } from "./summary.js";

interface ResultsLike {
  measurements: { usage: { otherCpu: number; seconds: number } }[];
  started: string;
  finished: string;
  options: BenchOptions;
  machine: { before: MachineInfo; after: MachineInfo };
  checks: Check[];
  notes: string[];
}

const LABELS: Record<string, string> = {
  "mesh-grpc": "mesh · gRPC (h2c)",
  "mesh-connect": "mesh · Connect binary (HTTP/1.1)",
  "mesh-connect-json": "mesh · Connect JSON (HTTP/1.1)",
  baseline: "baseline · JSON/SSE (HTTP/1.1)",
  "direct-grpc": "direct · grpc.aio worker",
  "direct-fastapi": "direct · FastAPI worker",
  "alone-mesh-grpc": "mesh gateway · gRPC → native",
  "alone-mesh-connect": "mesh gateway · Connect binary → native gRPC",
  "alone-baseline": "baseline gateway · JSON → native HTTP",
  "alone-mesh-grpc-2p": "mesh gateway, 2 processes · gRPC → native",
  "alone-baseline-2p": "baseline gateway, 2 processes · JSON → native HTTP",
  "alone-node-relay": "bare Node http2 relay · gRPC → native (Node's http2 and nothing else)",
  [REFERENCE_TOKENS]: "bare Node http2 token server · gRPC (Node's http2 writing the tokens, nothing else)",
  "alone-native-grpc": "native upstream alone · gRPC",
  "alone-native-http": "native upstream alone · HTTP/1.1",
};

/** A number with a sensible number of digits. */
export function fmt(v: number | undefined, digits?: number): string {
  if (v === undefined || !Number.isFinite(v)) return "–";
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
  return v.toFixed(d);
}

/** A spread as "median (min–max)", or just the median when there was one repetition. */
export function sp(s: Spread | undefined, digits?: number): string {
  if (!s || s.n === 0) return "–";
  if (s.n === 1 || s.min === s.max) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} <sub>${fmt(s.min, digits)}–${fmt(s.max, digits)}</sub>`;
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function label(v: string): string {
  return LABELS[v] ?? v;
}

/** One variant's cell of the ADR-006 floor table: the figure, bold "no" when it misses. */
function floorCell(c: FloorCheck["byVariant"][string] | undefined): string {
  if (c === undefined || c.met === undefined) return "–";
  return c.met ? `${c.measured} ✓` : `${c.measured} **no**`;
}

function failed(r: Row): string {
  return r.failedReps ? ` ⚠ ${r.failedReps} failed run(s): ${r.errors[0]?.slice(0, 120) ?? ""}` : "";
}

function wireOf(wire: WireBytes[], w: string, v: string): string {
  const x = wire.find((y) => y.workload === w && y.variant === v);
  if (!x) return "–";
  const c = `${fmt(x.client.request, 0)} / ${fmt(x.client.response, 0)}`;
  return x.upstream ? `${c} · ${fmt(x.upstream.request, 0)} / ${fmt(x.upstream.response, 0)}` : c;
}

function unaryTable(s: Summary, workload: string, withRate = false): string {
  const rows = s.rows.filter((r) => r.workload === workload);
  if (!rows.length) return "_not measured_";
  return table(
    ["variant", ...(withRate ? ["offered /s"] : []), "calls/s", "p50 ms", "p90 ms", "p99 ms", "CPU s/1k calls: gateway", "worker", "total", "peak MiB: gateway", "worker", "bytes/call client req/resp · upstream req/resp"],
    rows.map((r) => [
      label(r.variant) + failed(r),
      ...(withRate ? [sp(r.offeredRate, 0)] : []),
      sp(r.throughput, 0),
      sp(r.p50),
      sp(r.p90),
      sp(r.p99),
      sp(r.cpuPer1k.gateway),
      sp(r.cpuPer1k.worker ?? r.cpuPer1k.upstream),
      sp(r.cpuPer1k.total ?? r.cpuPer1k.worker ?? r.cpuPer1k.upstream),
      sp(r.peakMiB.gateway, 0),
      sp(r.peakMiB.worker ?? r.peakMiB.upstream, 0),
      wireOf(s.wire, workload.replace(/-(fixed|common|light)$/, ""), r.variant),
    ]),
  );
}

function streamTable(s: Summary, workload: string): string {
  const rows = s.rows.filter((r) => r.workload === workload);
  if (!rows.length) return "_not measured_";
  return table(
    ["variant", "streams/s", "TTFT p50 ms", "TTFT p99 ms", "gap p50 ms", "gap p99 ms", "lateness p99 ms", "tokens/s (all)", "tokens/s per stream", "tokens/msg", "CPU µs/token: gateway", "worker", "total", "peak MiB: gateway", "worker", "bytes/stream client · upstream"],
    rows.map((r) => {
      const w = s.wire.find((y) => y.workload === workload && y.variant === r.variant);
      return [
        label(r.variant) + failed(r),
        sp(r.throughput),
        sp(r.ttftP50),
        sp(r.ttftP99),
        sp(r.gapP50),
        sp(r.gapP99),
        sp(r.latenessP99),
        sp(r.tokensPerSecond, 0),
        sp(r.streamTokensPerSecond, 0),
        sp(r.tokensPerMessage),
        sp(r.cpuUsPerToken?.gateway, 1),
        sp(r.cpuUsPerToken?.worker, 1),
        sp(r.cpuUsPerToken?.total ?? r.cpuUsPerToken?.worker, 1),
        sp(r.peakMiB.gateway, 0),
        sp(r.peakMiB.worker, 0),
        w ? `${fmt(w.client.request + w.client.response, 0)}${w.upstream ? ` · ${fmt(w.upstream.request + w.upstream.response, 0)}` : ""}` : "–",
      ];
    }),
  );
}

/** Renders the whole report. */
export function renderReport(r: ResultsLike, s: Summary): string {
  const o = r.options;
  const m = r.machine;
  const out: string[] = [];
  out.push(`# Benchmark: mesh vs the ADR-006 HTTP/JSON design${o.quick ? " (quick mode: correctness only, figures meaningless)" : ""}`);
  out.push("");
  out.push(`Run ${r.started} → ${r.finished} on ${m.before.cpus} × ${m.before.cpuModel}, ${m.before.memGiB} GiB, Node ${m.before.node}. ` +
    `Load average (1/5/15 min) at start ${m.before.load.join(" / ")}, at end ${m.after.load.join(" / ")}. ` +
    `${o.reps} repetition(s); every figure is the median over them with the min–max in small print; variants alternate order between repetitions. ` +
    `Absolute numbers on a shared 2-core machine are noisy: the ratios measured in this one run are what count.`);
  out.push("");
  const others = r.measurements.filter((x) => x.usage.seconds > 0).map((x) => x.usage.otherCpu / x.usage.seconds);
  const othersMedian = others.length ? spread(others).median : undefined;
  if (othersMedian !== undefined) {
    out.push(`During the measured runs everything but the measured processes (the load tool itself, and any other work on the machine) used a median of ${fmt(othersMedian)} of the ${m.before.cpus} cores (max ${fmt(Math.max(...others))}).`);
    out.push("");
  }
  out.push("## Targets");
  out.push("");
  out.push(table(["target", "goal", "measured", "met", "missed by", "basis"], s.targets.map((t) => [t.name, t.goal, t.measured, t.met === undefined ? "–" : t.met ? "yes" : "**no**", t.missedBy || "–", t.basis])));
  out.push("");
  if (s.targets.some((t) => t.met === false)) {
    out.push("Where a target is missed, [the benchmark's README](../../README.md#what-the-profiles-show) says what the profiles of the gateway and the workers show, and what would close the gap.");
    out.push("");
  }
  out.push("## ADR-006 performance floor");
  out.push("");
  out.push("The ADR's own communication targets, which the issue's targets above build on, for every way through a gateway.");
  out.push("");
  out.push(table(["requirement", "goal", ...FLOOR_VARIANTS.map(label), "basis"], s.floor.map((f) => [f.requirement, f.goal, ...FLOOR_VARIANTS.map((v) => floorCell(f.byVariant[v])), f.basis])));
  out.push("");
  out.push("## Ratios");
  out.push("");
  out.push(table(["ratio", "value", "basis"], s.ratios.filter((x) => Number.isFinite(x.value)).map((x) => [x.name, `${fmt(x.value)}×`, x.basis])));
  out.push("");
  out.push("![throughput](plots/throughput.svg)");
  out.push("");
  out.push(`## Small unary call (ModelService.Complete, 1 synthetic token) — closed loop, ${o.inFlight} in flight, h2load`);
  out.push("");
  out.push(unaryTable(s, "unary"));
  out.push("");
  out.push("![unary latency](plots/latency-unary.svg)");
  out.push("");
  out.push("### At 50% of each variant's own maximum (vegeta, fixed rate)");
  out.push("");
  out.push(unaryTable(s, "unary-fixed", true));
  out.push("");
  out.push("### Every variant at the same rate: 50% of the slowest variant's maximum (vegeta)");
  out.push("");
  out.push(unaryTable(s, "unary-common", true));
  out.push("");
  out.push("![fixed-rate latency](plots/latency-unary-common.svg)");
  out.push("");
  out.push(`### Light load: every variant at ${o.lightRate} calls/s (vegeta)`);
  out.push("");
  out.push(unaryTable(s, "unary-light", true));
  out.push("");
  out.push("## Gateway alone: each gateway in front of a trivial native upstream (Go, fixed answers)");
  out.push("");
  out.push(unaryTable(s, "gateway-alone"));
  out.push("");
  out.push("ghz cross-check (gRPC status of every call verified):");
  out.push("");
  out.push(unaryTable(s, "gateway-alone-ghz"));
  out.push("");
  out.push(`## Embeddings batch (32 texts × 384 floats) — model-free encoder on both sides, ${o.embedInFlight} in flight, h2load`);
  out.push("");
  out.push(unaryTable(s, "embed"));
  out.push("");
  out.push("![embeddings latency](plots/latency-embed.svg)");
  out.push("");
  if (s.rows.some((x) => x.workload === "embed-real")) {
    out.push("### The same batch with the real all-MiniLM-L6-v2 on both sides (4 in flight)");
    out.push("");
    out.push(unaryTable(s, "embed-real"));
    out.push("");
  }
  out.push(`## 256-token streams at ${o.streamRate} tokens/s (${o.streams} streams, ${o.streamConcurrency} at once)`);
  out.push("");
  out.push(streamTable(s, "stream"));
  out.push("");
  out.push("![stream timelines](plots/stream-timelines.svg) ![inter-token gaps](plots/stream-gaps.svg)");
  out.push("");
  out.push(`## Unpaced 256-token streams (as fast as read, ${o.maxStreamConcurrency} at once for ${o.maxStreamDurationS} s)`);
  out.push("");
  out.push(streamTable(s, "stream-max"));
  out.push("");
  out.push(`## ${o.manyStreams} concurrent streams of ${o.manyMaxTokens} tokens at ${o.manyRate} tokens/s each (started over ${o.manyRampMs} ms)`);
  out.push("");
  out.push(streamTable(s, "streams-many"));
  out.push("");
  out.push("![many streams gaps](plots/many-gaps.svg)");
  out.push("");
  out.push("## Correctness checks (before any measurement)");
  out.push("");
  out.push(table(["workload", "variant", "ok", "detail"], r.checks.map((c) => [c.workload, label(c.variant), c.ok ? "yes" : "**no**", c.detail.replace(/\|/g, "\\|").slice(0, 200)])));
  out.push("");
  if (r.notes.length) {
    out.push("## Notes");
    out.push("");
    for (const n of r.notes) out.push(`- ${n}`);
    out.push("");
  }
  out.push("## How each figure was measured");
  out.push("");
  out.push([
    "- **Throughput and closed-loop latency**: h2load (nghttp2) for every unary variant, HTTP/2 with prior knowledge for gRPC (4 connections) and HTTP/1.1 for Connect and the baseline (one connection per request in flight); percentiles from its per-request log. gRPC answers are checked by body size (an error has no message).",
    "- **Fixed-rate latency**: vegeta (open loop, no coordinated omission), h2c for gRPC, HTTP/1.1 otherwise.",
    "- **Gateway alone**: the same h2load runs against each gateway in front of `bench/go/cmd/fixed-upstream`, which replays a real worker answer; ghz cross-checks gRPC statuses.",
    "- **Token streams**: `bench/go/cmd/token-client` (no established tool times each message of a server stream): time to first token from request start, gap between consecutive tokens (a message of k tokens counts its gap once and k−1 zero gaps), lateness of token i against first token + i/rate.",
    "- **CPU**: utime+stime of each process from /proc/<pid>/stat over the measured window (warm-up excluded); **peak memory**: VmHWM, reset before each run through /proc/<pid>/clear_refs.",
    "- **Bytes on the wire**: an untimed pass with a counting TCP relay in front of the first hop, and the kernel's per-connection counters (ss) on the gateway's pooled connections to the worker; TCP payload (HTTP/2 frames or HTTP/1.1 headers and bodies).",
  ].join("\n"));
  out.push("");
  return out.join("\n");
}
