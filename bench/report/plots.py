"""Draws the benchmark's plots (SVG) from a run's results.json and summary.json, offline (matplotlib).

    .venv/bin/python bench/report/plots.py RUN_DIR

Writes RUN_DIR/plots/: throughput bars, latency distributions (CDFs), streaming timelines and
inter-token gap distributions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt

plt.rcParams["svg.hashsalt"] = "agentos-bench"  # stable ids: re-running gives the same file for the same data
plt.rcParams["svg.fonttype"] = "none"

COLORS = {
    "mesh-grpc": "#1f77b4",
    "mesh-connect": "#17becf",
    "mesh-connect-json": "#9edae5",
    "baseline": "#d62728",
    "direct-grpc": "#2ca02c",
    "direct-fastapi": "#ff7f0e",
    "alone-mesh-grpc": "#1f77b4",
    "alone-mesh-connect": "#17becf",
    "alone-baseline": "#d62728",
    "alone-mesh-grpc-2p": "#393b79",
    "alone-baseline-2p": "#843c39",
    "alone-node-relay": "#9467bd",
    "alone-native-grpc": "#7f7f7f",
    "alone-native-http": "#bcbd22",
}


def save(fig: Any, path: Path) -> None:
    """Lays out, writes and closes one figure."""
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def color(variant: str) -> str:
    return COLORS.get(variant, "#444444")


def cdf(ax: Any, values: list[float], label: str, variant: str) -> None:
    if not values:
        return
    v = sorted(values)
    n = len(v)
    ax.plot(v, [(i + 1) / n for i in range(n)], label=label, color=color(variant), linewidth=1.5)


def first_rep(measurements: list[dict[str, Any]], workload: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for m in measurements:
        if (
            m["workload"] == workload
            and m["ok"]
            and m["variant"] not in seen
            and (m.get("latencySample") or m.get("stream"))
        ):
            seen.add(m["variant"])
            out.append(m)
    return out


def throughput_bars(summary: dict[str, Any], out: Path) -> None:
    panels = [
        ("unary", "small unary, calls/s"),
        ("embed", "embeddings batch, calls/s"),
        ("gateway-alone", "gateway alone, calls/s"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 4.5))
    for ax, (workload, title) in zip(axes, panels, strict=True):
        rows = [r for r in summary["rows"] if r["workload"] == workload and r["reps"] > 0]
        names = [r["variant"] for r in rows]
        med = [r["throughput"]["median"] for r in rows]
        err = [
            [r["throughput"]["median"] - r["throughput"]["min"] for r in rows],
            [r["throughput"]["max"] - r["throughput"]["median"] for r in rows],
        ]
        ax.bar(range(len(rows)), med, yerr=err, color=[color(n) for n in names], capsize=3)
        ax.set_xticks(range(len(rows)), names, rotation=35, ha="right", fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Throughput (median of repetitions, bars: min–max)", fontsize=11)
    save(fig, out / "throughput.svg")


def latency_cdfs(results: dict[str, Any], workload: str, title: str, out: Path, name: str) -> None:
    runs = first_rep(results["measurements"], workload)
    if not runs:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for m in runs:
        cdf(ax, m.get("latencySample") or [], m["variant"], m["variant"])
    ax.set_xscale("log")
    ax.set_xlabel("latency, ms (log)")
    ax.set_ylabel("fraction of calls")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    save(fig, out / name)


def stream_timelines(results: dict[str, Any], out: Path) -> None:
    runs = first_rep(results["measurements"], "stream")
    if not runs:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for m in runs:
        lines = (m["stream"].get("timelines") or [])[:1]
        for tl in lines:
            ax.plot(
                [p[0] for p in tl],
                [p[1] for p in tl],
                label=m["variant"],
                color=color(m["variant"]),
                linewidth=1.2,
            )
    ax.set_xlabel("ms since the request")
    ax.set_ylabel("tokens received")
    ax.set_title("One 256-token stream per variant (paced)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out / "stream-timelines.svg")


def gap_cdfs(results: dict[str, Any], workload: str, title: str, out: Path, name: str) -> None:
    runs = first_rep(results["measurements"], workload)
    if not runs:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for m in runs:
        cdf(ax, [g for g in m["stream"].get("gap_sample") or []], m["variant"], m["variant"])
    ax.set_xlabel("inter-token gap, ms")
    ax.set_ylabel("fraction of tokens")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, out / name)


def main(run_dir: str) -> None:
    root = Path(run_dir)
    results = json.loads((root / "results.json").read_text())
    summary = json.loads((root / "summary.json").read_text())
    out = root / "plots"
    out.mkdir(exist_ok=True)
    o = results["options"]
    throughput_bars(summary, out)
    latency_cdfs(results, "unary", "Small unary, closed loop: latency distribution", out, "latency-unary.svg")
    latency_cdfs(
        results,
        "unary-common",
        "Small unary, same fixed rate on every variant",
        out,
        "latency-unary-common.svg",
    )
    latency_cdfs(
        results, "embed", "Embeddings batch, closed loop: latency distribution", out, "latency-embed.svg"
    )
    stream_timelines(results, out)
    gap_cdfs(
        results, "stream", f"Inter-token gaps, paced at {o['streamRate']} tokens/s", out, "stream-gaps.svg"
    )
    gap_cdfs(
        results,
        "streams-many",
        f"Inter-token gaps, {o['manyStreams']} streams at {o['manyRate']} tokens/s",
        out,
        "many-gaps.svg",
    )


if __name__ == "__main__":
    main(sys.argv[1])
