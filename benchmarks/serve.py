"""Run one emulator in its own process for the loopback benchmarks.

``python benchmarks/serve.py serpstat --size 1000000`` prints one JSON line with the
settings that point `seotasks.connect` at it, then serves until its stdin closes. A
separate process keeps the emulator's work (building and encoding pages) off the
measured client's interpreter: on 2 cores each gets its own.
"""

from __future__ import annotations

import argparse
import json
import sys

from seotasks_dataforseo.emulator import DataForSEOEmulator
from seotasks_serpstat.emulator import SerpstatEmulator


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("vendor", choices=("serpstat", "dataforseo"))
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    emulator: SerpstatEmulator | DataForSEOEmulator
    if args.vendor == "serpstat":
        # No 60,000-row cap: the benchmarks list every task of their 100 000.
        emulator = SerpstatEmulator(seed=args.seed, size=args.size, rps=None, max_rows=None)
    else:
        emulator = DataForSEOEmulator(
            seed=args.seed,
            size=args.size,
            enforce_limits=False,
            kinds=("serp/google/organic", "serp/bing/organic"),
            span_days=150,
        )
    with emulator:
        print(json.dumps({"settings": emulator.settings}), flush=True)
        sys.stdin.read()  # until the benchmark closes our stdin


if __name__ == "__main__":
    main()
