"""The program takes what its imports made out of Python's garbage collection, and a run leaves nothing frozen.

Why (`infra.garbage_collection`, docs/benchmarks.md): full collections take most of a large preview's
CPU time, and each one rescanned the tens of thousands of objects the imports made. No test here times
anything; they check that the freeze happens before the program's work, covers every module the program
uses, and is undone for a process that runs the program again.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_ROOT, RunProgram, assert_refused, fixture_world
from tests.fake_aws import FakeWorld

REPOSITORY = Path(__file__).resolve().parent.parent


@dataclass
class FreezeNotingWorld(FakeWorld):
    """The fixture world, noting at every lookup how many objects the collector was told to leave alone."""

    frozen_at_lookups: list[int] = field(default_factory=list)

    def answer(self, token: str, args: Mapping[str, Any], account_id: str) -> dict[str, Any]:
        self.frozen_at_lookups.append(gc.get_freeze_count())
        return super().answer(token, args, account_id)


def _noting_world() -> FreezeNotingWorld:
    world = FreezeNotingWorld()
    world.accounts = fixture_world().accounts
    return world


def test_every_lookup_runs_with_the_imports_frozen_and_the_run_leaves_nothing_frozen(run: RunProgram) -> None:
    world = _noting_world()
    done = run("nonprod", world=world)
    assert done.error is None, done.error
    assert world.frozen_at_lookups, "the program made no lookup"
    assert min(world.frozen_at_lookups) > 10_000  # pulumi, pulumi_aws and pydantic alone make tens of thousands
    assert gc.get_freeze_count() == 0  # the tests' process keeps collecting every run's leftovers


def test_a_refused_run_leaves_nothing_frozen(run: RunProgram, grants_file: Callable[[str], dict[str, str]]) -> None:
    """Input problems end the run with a RunError after the freeze: the runner must unfreeze on that path too."""
    done = run("nonprod", config=grants_file("grants:\n  - name: x\n"), world=_noting_world())
    assert_refused(done)
    assert gc.get_freeze_count() == 0


def test_a_caller_s_own_freeze_is_kept(run: RunProgram) -> None:
    kept_by_the_caller = ["made before the caller froze"]
    gc.freeze()
    try:
        done = run("nonprod", world=_noting_world())
        assert done.error is None, done.error
        assert gc.get_freeze_count() > 0
        assert all(tracked is not kept_by_the_caller for tracked in gc.get_objects())  # still frozen
    finally:
        gc.unfreeze()


# Every type of resource the program registers: the run below must make each, or a module loaded only for a
# type it skipped (pulumi_aws.kms for a bucket with a KMS key) could be first loaded after the freeze unseen.
EVERY_RESOURCE_TYPE = {
    "pulumi:providers:aws",
    "cross-account-s3:index:BucketGrant",
    "aws:iam/group:Group",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:iam/groupMembership:GroupMembership",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:kms/grant:Grant",
    "aws:s3/bucketPolicy:BucketPolicy",
}


def test_no_module_of_pulumi_aws_is_loaded_after_the_freeze(tmp_path: Path) -> None:
    """pulumi_aws loads its modules lazily; one first loaded at a registration would be rescanned again."""
    grants = tmp_path / "grants.yaml"
    script = textwrap.dedent(
        f"""
        import gc, sys
        loaded_at_freeze = []
        freeze = gc.freeze
        def noting_freeze():
            loaded_at_freeze.append(set(sys.modules))
            freeze()
        gc.freeze = noting_freeze
        from cross_account_s3.infra.offline_runner import run_program
        from pathlib import Path
        from tests.conftest import BUILD
        from tests.test_kms import GRANTS, grants_text, kms_world
        world = kms_world()  # a bucket with a KMS key: its grants register KMS grants
        world.account(BUILD).roles["writer"] = "/"
        role_grant = {{"name": "role-read", "roles": ["writer"], "bucket": "reports-bucket", "access": "read"}}
        Path({str(grants)!r}).write_text(grants_text([*GRANTS, role_grant]), encoding="utf-8")
        config = {{"cross-account-s3:grantsFile": {str(grants)!r}}}
        done = run_program(Path({str(PROJECT_ROOT)!r}), "nonprod", world=world, config=config)
        assert done.error is None, done.error
        missing = {EVERY_RESOURCE_TYPE!r} - {{r.type for r in done.registrations}}
        assert not missing, f"the run registered no {{sorted(missing)}}"
        assert len(loaded_at_freeze) == 1, len(loaded_at_freeze)
        print(sorted(m for m in set(sys.modules) - loaded_at_freeze[0] if m.startswith("pulumi_aws")))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPOSITORY, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
