"""Summarises py-spy's raw (collapsed) output: self and inclusive time by function, top N.

py-spy record -p PID -d 10 -f raw -o out.txt --nonblocking
.venv/bin/python bench/tools/pyspy_top.py out.txt [N]
"""

from __future__ import annotations

import re
import sys
from collections import Counter


def main(path: str, n: int = 25) -> None:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    with open(path) as lines:
        rows = [line.rstrip().rpartition(" ") for line in lines]
    for stack, _, count in rows:
        if not stack:
            continue
        c = int(count)
        total += c
        frames = [re.sub(r" \((/.*/)?(site-packages/|work/main/)?", " (", f) for f in stack.split(";")]
        self_time[frames[-1]] += c
        for f in set(frames):
            inclusive[f] += c
    print(f"samples {total}")
    for title, counter in (("self", self_time), ("inclusive", inclusive)):
        print(f"\n{title}")
        for f, c in counter.most_common(n):
            print(f"{100 * c / total:5.1f}%  {f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
