"""Shared fixtures: run the real program under Pulumi's mock runtime, against a small fake world.

The tests never read the repository's own `grants/*.yaml` or `Pulumi.<stack>.yaml`: those are the
team's data and change with every grants pull request. They run against a fixture project instead:
the stacks and grants in tests/fixtures/project, next to a copy of the real `Pulumi.yaml` and
`__main__.py`, so the program under test is the real one and only its inputs are the tests' own.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from cross_account_s3.cli import PROJECT_ENV
from cross_account_s3.infra.offline_runner import ProgramRun, run_program
from tests.fake_aws import FakeWorld

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_INPUTS = Path(__file__).resolve().parent / "fixtures" / "project"


def _fixture_project() -> Path:
    """A throwaway project: the real program and Pulumi.yaml, with the fixture stacks and grants."""
    root = Path(tempfile.mkdtemp(prefix="cross-account-s3-fixture-"))
    atexit.register(shutil.rmtree, root, True)
    shutil.copytree(FIXTURE_INPUTS, root, dirs_exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    return root


PROJECT_ROOT = _fixture_project()  # the project every test runs; never the repository's own grants
os.environ[PROJECT_ENV] = str(PROJECT_ROOT)  # so `plan`, in-process or in a subprocess, reads it too
NONPROD = "123456789012"  # the fixture stacks' account IDs
BUILD = "012345678901"
THIRD = "999988887777"

RunProgram = Callable[..., ProgramRun]


def world_with(
    users: dict[str, dict[str, str]] | None = None, buckets: dict[str, dict[str, Any]] | None = None
) -> FakeWorld:
    """A fake world: users by account (name -> path) and buckets by account (name -> policy or None)."""
    world = FakeWorld()
    for account, named in (users or {}).items():
        world.account(account).users.update(named)
    for account, named in (buckets or {}).items():
        world.account(account).buckets.update(named)
    return world


@dataclass(frozen=True)
class StackPool:
    """The users (name -> path) and buckets a fixture stack's world holds, in the accounts the stack expects."""

    user_account: str
    bucket_account: str
    users: dict[str, str]
    buckets: tuple[str, ...]


POOLS = {  # the one pool of users and buckets every test draws from
    "nonprod": StackPool(
        BUILD,
        NONPROD,
        {"test.user": "/", "u01": "/", "u02": "/", "u03": "/", "admin": "/", "deployer": "/ci/"},
        ("my-shared-bucket-20932", "reports-bucket", "other-bucket"),
    ),
    "build": StackPool(
        NONPROD,
        BUILD,
        {"qa-runner": "/", "ua-runner": "/", "perf-lab": "/perf/"},
        ("build-artifacts-012345678901", "build-test-reports-012345678901", "build-cache-012345678901"),
    ),
}


def fixture_world() -> FakeWorld:
    """Every user and bucket of the pool, each in its right account, with no bucket policies."""
    world = FakeWorld()
    for pool in POOLS.values():
        world.account(pool.user_account).users.update(pool.users)
        world.account(pool.bucket_account).buckets.update(dict.fromkeys(pool.buckets))
    return world


def grants_yaml(*grants: dict[str, Any], **sections: Any) -> str:
    """The one grants builder: a grants file holding `grants` (and any other top-level sections)."""
    return yaml.safe_dump({"grants": list(grants), **sections}, sort_keys=False)


def assert_refused(run: ProgramRun, *fragments: str) -> str:
    """The program refused its input cleanly: one problem list, no traceback, nothing registered."""
    assert run.error is not None, "the program accepted bad input"
    assert run.registrations == [], [r.name for r in run.registrations]
    assert "Traceback" not in run.error
    assert run.error.startswith("cross-account-s3 found "), run.error[:2000]
    assert "nothing was created or changed" in run.error
    run.error.encode("utf-8")  # a lone surrogate here would break the message on its way to the engine
    for fragment in fragments:
        assert fragment in run.error, f"{fragment!r} not in:\n{run.error}"
    return run.error


@pytest.fixture
def run() -> RunProgram:
    """Run `__main__.py` for a stack; `world` defaults to one holding everything the fixture files name."""

    def _run(
        stack: str = "nonprod", *, config: dict[str, str] | None = None, world: FakeWorld | None = None
    ) -> ProgramRun:
        return run_program(PROJECT_ROOT, stack, config=config, world=world or fixture_world())

    return _run


@pytest.fixture
def grants_file(tmp_path: Path) -> Callable[[str], dict[str, str]]:
    """Write a grants file and return the config that points the stack at it."""

    def _write(text: str, name: str = "grants.yaml") -> dict[str, str]:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return {"cross-account-s3:grantsFile": str(path)}

    return _write


__all__ = ["PROJECT_ROOT"]
