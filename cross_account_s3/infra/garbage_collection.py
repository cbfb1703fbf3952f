"""Python's garbage collector, told which objects live for the whole run, so it stops rescanning them.

Much of a preview's time with many grants is neither this program's work nor the SDK's, but Python's
cyclic garbage collector. Every resource the program registers stays on the heap until the run ends: its
registration is an asyncio task that holds it (`register_resource` in pulumi/runtime/resource.py), which
the event loop runs only once the program's body returns or waits on an invoke, and each resource is
in reference cycles that only the collector frees (its outputs name it: `resource_output` in
pulumi/runtime/resource.py; a component and its children name each other: `Resource._childResources` and
each child's options). A resource without a parent, such as a provider or a `BucketGrant`, is in no one's
`_childResources`: the SDK adds a resource to its parent's only when the parent is given. So the heap grows
with every registration, and every full collection walks every tracked object on it. Under
the mock runtime, collections take 36% of the wall-clock time of a bare program registering the same
resources at 250 grants, and 55% at 1,000 (`python -m bench.collector_share`; docs/benchmarks.md).

Among the objects each full collection walks are the tens of thousands that the imports made (the
classes and functions of `pulumi`, `pulumi_aws` and pydantic's validators), which are never garbage and
live until the process ends. `gc.freeze()` (Python's documented way, used the same way by long-running
programs after start-up) moves every object tracked so far into a permanent generation that collections
skip. Objects made afterwards are still collected (a full collection comes once the objects that outlived
the younger generations number a quarter of those the last one kept, so with fewer to keep it comes a
little sooner, and costs less), and reference counting still frees a frozen object the moment nothing
refers to it; only a reference cycle among objects already made when freezing stays until exit, and is
never finalised. The program freezes once, after its imports, without collecting first: at that point in
`./run plan`, a full collection took 50 ms and found nothing to free among 102,520 objects. A process that
runs the program again (`plan --diff`, the tests) freezes, with the next run's imports, whatever garbage
the last run left, until that next run ends (`unfrozen_after_each_run`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def leave_imports_out_of_collections() -> None:
    """Freeze every object made so far (the imports), so no later collection rescans them.

    Called once at the top of the program, after its imports. The imports include the `pulumi_aws`
    resource modules the program uses (`infra.components` imports them by name), which `pulumi_aws`
    would otherwise load lazily at the first registration, after the freeze.
    """
    gc.freeze()


@contextlib.contextmanager
def unfrozen_after_each_run() -> Iterator[None]:
    """Undo a program run's freeze in a process that runs the program again (plan, the tests, the benchmark).

    A `pulumi preview` process ends after its one run; a process that runs the program many times would
    otherwise pin each run's leftover reference cycles until it exits, and would start every later run
    (the bare program's too, in the benchmark) with its heap already frozen. Only when nothing was frozen
    before the run, so a caller's own freeze is kept.
    """
    frozen_before = gc.get_freeze_count()
    try:
        yield
    finally:
        if frozen_before == 0:
            gc.unfreeze()
