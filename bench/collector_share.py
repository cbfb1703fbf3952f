"""How much of a run Python's cyclic garbage collector takes, for this program and the bare one.

Each collection is timed through `gc.callbacks` (from its "start" to its "stop" call); the table gives,
per program, the median over alternating runs of the share of the run's wall-clock time spent
collecting, and how many full (generation 2) collections there were. Both programs run in this one
process through the same mock runtime, as in `bench.speed`: the bare program once as it is and once
freezing what its imports made, as this program does (`infra.garbage_collection`).

Run: venv/bin/python -m bench.collector_share [--repeat N] [--grants N [N ...]]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from bench.speed import time_bare, time_ours, written_grants


class CollectionClock:
    """The wall-clock time spent in collections, and the number of full ones, since the last `reset`."""

    def __init__(self) -> None:
        self.seconds, self.full, self._started = 0.0, 0, 0.0

    def reset(self) -> None:
        self.seconds, self.full = 0.0, 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        self.full += info["generation"] == 2


def share(clock: CollectionClock, run: Callable[..., tuple[float, float]]) -> tuple[float, int]:
    """One timed run: the share of its wall-clock time spent collecting, and its full collections."""
    wall, _cpu = run(started=clock.reset)  # the full collection before the timing is not counted
    return clock.seconds / wall, clock.full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--grants", type=int, nargs="+", default=[250, 1000])
    args = parser.parse_args()
    clock = CollectionClock()
    print("| grants | program | time in collections (median share of wall clock) | full collections (median) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for count in args.grants:
            path, data, buckets = written_grants(folder, count)
            programs: dict[str, Callable[..., tuple[float, float]]] = {
                "this program": partial(time_ours, path, data),
                "bare": partial(time_bare, count, buckets),
                "bare, imports frozen": partial(time_bare, count, buckets, freeze_imports=True),
            }
            for run in programs.values():
                run()  # warm-up: imports and caches
            found: dict[str, list[tuple[float, int]]] = {name: [] for name in programs}
            gc.callbacks.append(clock)
            try:
                for _ in range(args.repeat):
                    for name, run in programs.items():
                        found[name].append(share(clock, run))
            finally:
                gc.callbacks.remove(clock)
            for name, runs in found.items():
                part = statistics.median(fraction for fraction, _ in runs)
                full = statistics.median(count for _, count in runs)
                print(f"| {count} | {name} | {part:.0%} | {full:g} |", flush=True)


if __name__ == "__main__":
    main()
