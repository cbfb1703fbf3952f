"""One timed run of one program, in a fresh Python process that holds only what that program needs.

`bench.speed` and `bench.collector_share` start one such process for every timed run. Timing both programs
in one process made each one's garbage collections walk the other's imports too: this program's (pydantic,
its own modules, the tests' fake AWS) were on the bare program's heap. While neither program froze its
imports that cost both alike; once this program froze them (`infra.garbage_collection`), only the bare
program kept walking objects a real process running it would not hold, which flattered this program.

Here the bare program's process imports the runner (which both programs run under) and nothing of this
program's; this program's process imports what it needs. Each process runs its program once untimed (so
imports, `pulumi_aws`'s lazily loaded modules and caches are in place, as they would be), collects
garbage, then times one run: wall clock, CPU time, and the time its garbage collections took
(`gc.callbacks`, from each collection's start to its stop) with how many were full ones. It prints them as
one line of JSON.

Run: venv/bin/python -m bench.one_run ours GRANTS_FILE
     venv/bin/python -m bench.one_run bare GRANTS BUCKETS [--component-class] [--freeze-imports]
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cross_account_s3.infra.offline_runner import ProgramRun, run_program

PROJECT_ROOT = Path(__file__).resolve().parent.parent
USER_ACCOUNT, BUCKET_ACCOUNT = "012345678901", "123456789012"  # the nonprod stack's accounts


class CollectionClock:
    """The wall-clock time spent in garbage collections, and how many were full ones, while installed."""

    def __init__(self) -> None:
        self.seconds, self.full, self._started = 0.0, 0, 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        self.full += info["generation"] == 2


def timed(run: Callable[[], ProgramRun]) -> dict[str, float]:
    """Run once untimed, collect, then time one run: its wall clock, CPU time and collections."""
    result = run()
    assert result.error is None, result.error
    gc.collect()
    clock = CollectionClock()
    gc.callbacks.append(clock)
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    gc.callbacks.remove(clock)
    assert result.error is None, result.error
    return {"wall": wall, "cpu": cpu, "collecting": clock.seconds, "full": clock.full}


def ours(grants_file: Path) -> Callable[[], ProgramRun]:
    """This program on `grants_file`, against a fake AWS holding every user and bucket it names."""
    import yaml

    from tests.fake_aws import FakeWorld

    data = yaml.safe_load(grants_file.read_text(encoding="utf-8"))
    # The policy simulator is AWS's own time, not the program's: the fake would only time the tests' simulator.
    config = {
        "cross-account-s3:grantsFile": str(grants_file),
        "cross-account-s3:groupQuota": "5000",
        "cross-account-s3:simulateAccess": "false",
    }

    def run() -> ProgramRun:
        world = FakeWorld()
        for grant in data["grants"]:
            world.account(USER_ACCOUNT).users.update(dict.fromkeys(grant["users"], "/"))
            world.account(BUCKET_ACCOUNT).buckets[grant["bucket"]] = None
        return run_program(PROJECT_ROOT, "nonprod", world=world, config=config)

    return run


def bare(grants: int, buckets: int, *, component_class: bool, freeze_imports: bool) -> Callable[[], ProgramRun]:
    """The bare program (`bench/bare_program.py`) registering the same resources."""
    config = {
        "bench:grants": str(grants),
        "bench:buckets": str(buckets),
        "bench:componentClass": str(component_class),
        "bench:freezeImports": str(freeze_imports),
    }
    program = PROJECT_ROOT / "bench" / "bare_program.py"
    return lambda: run_program(PROJECT_ROOT, "nonprod", program=program, config=config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    programs = parser.add_subparsers(dest="program", required=True)
    ours_parser = programs.add_parser("ours")
    ours_parser.add_argument("grants_file", type=Path)
    bare_parser = programs.add_parser("bare")
    bare_parser.add_argument("grants", type=int)
    bare_parser.add_argument("buckets", type=int)
    bare_parser.add_argument("--component-class", action="store_true")
    bare_parser.add_argument("--freeze-imports", action="store_true")
    args = parser.parse_args()
    run = (
        ours(args.grants_file)
        if args.program == "ours"
        else bare(args.grants, args.buckets, component_class=args.component_class, freeze_imports=args.freeze_imports)
    )
    print(json.dumps(timed(run)))


if __name__ == "__main__":
    main()
