"""Speed: the real program under the mock runtime against a bare program registering the same resources.

For 10, 100, 250 and 1,000 grants over 50 buckets, both programs run through the same mock runtime,
alternately, several times; the table reports medians and the ratio. The ratio is what matters: absolute
times depend on the machine. Every timed run is one fresh Python process holding only what its program
needs (`bench.one_run`, which says why), after one untimed run and a full garbage collection in it.

Each run is timed twice: wall-clock time, and the CPU time the process used. On a machine shared
with other work, wall-clock time also counts the waits for a free core, so the CPU-time ratio is the
steadier measure of what the program itself costs. The spread (lowest and highest ratio of one run
of ours to the bare run beside it) shows how noisy the machine was.

A second baseline, the bare program with its components made by a `ComponentResource` subclass (as
Pulumi's docs write components; `BucketGrant` is a plain one), is timed beside them: the SDK records a
call stack for every component made that way and none for a plain `ComponentResource`, so this column
shows what that bookkeeping would cost. A third, the bare program freezing what its imports made as this
program does (`infra.garbage_collection`), is the like-for-like baseline: against it, the ratio is what
the program's own work costs with Python's garbage collector treating both alike. The target is against
the first baseline; the third says how much of meeting it is the freeze.

Run: venv/bin/python -m bench.speed [--repeat N] [--grants N [N ...]]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUCKETS = 50
LEVELS = ("read", "write", "read-write", "full")


def grants_file(count: int) -> dict[str, object]:
    grants = []
    for index in range(count):
        grant: dict[str, object] = {
            "name": f"grant-{index:04d}",
            "users": [f"user-{(index * 7 + k) % (count + 3):04d}" for k in range(1 + index % 3)],
            "bucket": f"bench-bucket-{index % BUCKETS:02d}",
            "access": LEVELS[index % len(LEVELS)],
        }
        if index % 5 == 0:
            grant["prefixes"] = [f"team-{index % 11}/"]
        grants.append(grant)
    return {"grants": grants}


def written_grants(folder: str, count: int) -> tuple[Path, int]:
    """`count` grants written to a file in `folder`: its path, and how many buckets it names."""
    data = grants_file(count)
    path = Path(folder) / f"grants-{count}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path, len({g["bucket"] for g in data["grants"]})  # type: ignore[attr-defined]


Timing = tuple[float, float]  # seconds: wall clock, CPU


def one_run(*arguments: str) -> dict[str, float]:
    """One timed run in its own process (`bench.one_run`): wall clock, CPU time, and its collections."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.one_run", *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench.one_run {' '.join(arguments)} failed:\n{done.stderr}")
    found: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return found


def time_ours(path: Path) -> Timing:
    found = one_run("ours", str(path))
    return found["wall"], found["cpu"]


def time_bare(grants: int, buckets: int, *, component_class: bool = False, freeze_imports: bool = False) -> Timing:
    flags = ["--component-class"] * component_class + ["--freeze-imports"] * freeze_imports
    found = one_run("bare", str(grants), str(buckets), *flags)
    return found["wall"], found["cpu"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--grants", type=int, nargs="+", default=[10, 100, 250, 1000], help="the sizes to run (default: all four)"
    )
    args = parser.parse_args()
    print(f"Median of {args.repeat} alternating runs each, one process per run, same mock runtime, {BUCKETS} buckets.")
    print()
    print(
        "| grants | resources | this program | bare baseline | ratio (wall) | spread | ratio (CPU) | spread "
        "| bare, component class | ratio to it (CPU) | bare, imports frozen | ratio to it (CPU) "
        "| this program per grant |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for count in args.grants:
            path, buckets = written_grants(folder, count)
            ours, bare, bare_class, bare_frozen = [], [], [], []
            for _ in range(args.repeat):
                ours.append(time_ours(path))
                bare.append(time_bare(count, buckets))
                bare_class.append(time_bare(count, buckets, component_class=True))
                bare_frozen.append(time_bare(count, buckets, freeze_imports=True))
            cells = []
            for kind in (0, 1):
                pairs = [mine[kind] / base[kind] for mine, base in zip(ours, bare, strict=True)]
                ratio = statistics.median(m[kind] for m in ours) / statistics.median(b[kind] for b in bare)
                cells += [f"{ratio:.2f}x", f"{min(pairs):.2f}-{max(pairs):.2f}"]
            mine, base = statistics.median(m[0] for m in ours), statistics.median(b[0] for b in bare)
            with_class = statistics.median(b[1] for b in bare_class)
            to_class = statistics.median(m[1] for m in ours) / with_class
            frozen = statistics.median(b[1] for b in bare_frozen)
            to_frozen = statistics.median(m[1] for m in ours) / frozen
            resources = 2 + 4 * count + buckets
            print(
                f"| {count} | {resources} | {mine:.3f} s | {base:.3f} s | {' | '.join(cells)} | "
                f"{with_class:.3f} s (CPU) | {to_class:.2f}x | {frozen:.3f} s (CPU) | {to_frozen:.2f}x | "
                f"{mine / count * 1000:.2f} ms |",
                flush=True,
            )


if __name__ == "__main__":
    main()
