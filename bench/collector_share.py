"""How much of a run Python's cyclic garbage collector takes, for this program and the bare one.

Each timed run is one fresh process (`bench.one_run`), which times every collection through
`gc.callbacks`, from its "start" to its "stop" call. The table gives, per program, the median over
alternating runs of the share of the run's wall-clock time spent collecting, and of how many full
(generation 2) collections there were: the bare program once as it is and once freezing what its imports
made, as this program does (`infra.garbage_collection`).

Run: venv/bin/python -m bench.collector_share [--repeat N] [--grants N [N ...]]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

from bench.speed import one_run, written_grants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--grants", type=int, nargs="+", default=[250, 1000])
    args = parser.parse_args()
    print("| grants | program | time in collections (median share of wall clock) | full collections (median) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for count in args.grants:
            path, buckets = written_grants(folder, count)
            programs = {
                "this program": ("ours", str(path)),
                "bare": ("bare", str(count), str(buckets)),
                "bare, imports frozen": ("bare", str(count), str(buckets), "--freeze-imports"),
            }
            found: dict[str, list[dict[str, float]]] = {name: [] for name in programs}
            for _ in range(args.repeat):
                for name, arguments in programs.items():
                    found[name].append(one_run(*arguments))
            for name, runs in found.items():
                part = statistics.median(run["collecting"] / run["wall"] for run in runs)
                full = statistics.median(run["full"] for run in runs)
                print(f"| {count} | {name} | {part:.0%} | {full:g} |", flush=True)


if __name__ == "__main__":
    main()
